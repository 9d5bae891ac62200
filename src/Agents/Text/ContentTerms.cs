using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Text;

/// <summary>
/// The terms of a text that carry its meaning: the lexical encoder's terms (so stemming and
/// Chinese segmentation match the index) minus question words and function words in English and
/// Chinese. The stop list is passed through the same encoder, so it matches however the encoder
/// normalises.
/// </summary>
public sealed class ContentTerms
{
    // Question and function words. Content words are left alone even when frequent.
    private static readonly string[] StopWords =
    [
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "whats", "what's",
        "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "doing",
        "the", "a", "an", "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or", "as", "into", "onto", "about",
        "it", "its", "that", "this", "these", "those", "there", "their", "they", "them", "he", "she", "his", "her", "him",
        "i", "you", "we", "me", "my", "your", "our", "us", "can", "could", "would", "should", "will", "shall", "may", "might", "must",
        "has", "have", "had", "having", "than", "then", "so", "not", "no", "nor", "if", "also", "any", "some", "such", "other",
        "much", "many", "name", "named", "called", "known", "according", "tell", "please", "kind", "type",
        "的", "了", "是", "在", "和", "与", "及", "或", "被", "把", "有", "于", "为", "以", "之", "其", "这", "那", "个", "也", "都",
        "就", "而", "并", "等", "由", "从", "对", "将", "吗", "呢", "吧", "啊", "么",
        "什么", "甚么", "哪", "哪个", "哪些", "哪里", "哪儿", "谁", "何", "多少", "几", "怎么", "怎样", "如何", "为什么", "是否",
        "與", "於", "為", "這", "個", "從", "對", "將", "並", "嗎", "麼",
        "什麼", "甚麼", "哪個", "哪裡", "誰", "幾", "怎麼", "怎樣", "為什麼",
    ];

    private readonly ILexicalEncoder _encoder;
    private readonly HashSet<string> _stopTerms;
    // The Chinese stop words go through the encoder only when a Chinese term is first checked: segmenting
    // them loads jieba's dictionary (most of a second), which an English question never needs.
    private readonly Lazy<HashSet<string>> _chineseStopTerms;

    public ContentTerms(ILexicalEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        _encoder = encoder;
        _stopTerms = TermsOf(encoder, StopWords.Where(w => !HasHan(w)));
        _chineseStopTerms = new Lazy<HashSet<string>>(() => TermsOf(encoder, StopWords.Where(HasHan)));
    }

    private static HashSet<string> TermsOf(ILexicalEncoder encoder, IEnumerable<string> words)
    {
        var terms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var word in words)
        {
            foreach (var term in encoder.Tokenize(word))
            {
                terms.Add(term);
            }
        }
        return terms;
    }

    /// <summary>Han characters of the Basic Multilingual Plane, where every Chinese stop word lies.</summary>
    private static bool HasHan(string text) => text.Any(c => c is (>= '\u3400' and <= '\u9FFF') or (>= '\uF900' and <= '\uFAFF'));

    /// <summary>The distinct content terms of a text, in order of first appearance.</summary>
    public IReadOnlyList<string> Of(string text)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var terms = new List<string>();
        foreach (var term in _encoder.Tokenize(text))
        {
            if (IsContent(term) && seen.Add(term))
            {
                terms.Add(term);
            }
        }

        return terms;
    }

    /// <summary>
    /// The terms of a question that tell what it is about. For Chinese the encoder emits character
    /// bigrams beside jieba's words; a bigram across two words of a question ("紀時" of 18世紀時)
    /// is an artefact of how the question happens to be phrased, and its absence from a passage
    /// says nothing. Bigrams inside a longer word ("滿電" of 充滿電) stay: they let a passage that
    /// segments the word differently still match.
    /// </summary>
    /// <remarks>
    /// A word jieba's HMM made up of a function character and a content one (要充 of 电池要充多久) is
    /// in no passage, so it would count as the question's most telling missing term although the
    /// charging passage says 充电 throughout. Search backs such a stranded character off to the
    /// dictionary words that hold it (<see cref="Bm25SparseEncoder.StrandedCharacter"/>); here the
    /// word is replaced by its content character, which a passage covers wherever it holds a word
    /// with that character, as any lone-character term of a question is.
    /// </remarks>
    public IReadOnlyList<string> OfQuestion(string question)
    {
        var all = BackOffStranded(Of(question));
        var words = all.Where(t => !IsBigram(t) && t.Length >= 3).ToList();
        return all.Where(t => !IsBigram(t) || words.Any(w => w.Contains(t[1..], StringComparison.Ordinal))).ToList();
    }

    private IReadOnlyList<string> BackOffStranded(IReadOnlyList<string> terms)
    {
        if (_encoder is not Bm25SparseEncoder bm25 || !terms.Any(t => t.Length == 2 && !IsBigram(t) && HasHan(t)))
            return terms;
        var result = new List<string>(terms.Count);
        foreach (var term in terms)
        {
            // Only a two-character word can be glued (a lone character is a term of its own already).
            var replacement = term.Length == 2 && !IsBigram(term) && HasHan(term) ? bm25.StrandedCharacter(term) ?? term : term;
            if (IsContent(replacement) && !result.Contains(replacement, StringComparer.Ordinal))
                result.Add(replacement);
        }

        return result;
    }

    /// <summary>Whether a term is a Chinese character bigram (the encoder marks them so they stay apart from words).</summary>
    public static bool IsBigram(string term) => term.Length > 0 && term[0] == BigramMarker;

    /// <summary>A term as people read it: a bigram without its marker.</summary>
    public static string Display(string term) => IsBigram(term) ? term[1..] : term;

    // Mirrors the lexical index's marker of bigram terms (KnowledgeQa.Retrieval.Lexical.TextTokenizer).
    private const char BigramMarker = '\u0002';

    /// <summary>Every term of a text (content or not), for overlap tests.</summary>
    public HashSet<string> AllOf(string text) => new(_encoder.Tokenize(text), StringComparer.Ordinal);

    public bool IsContent(string term) =>
        !_stopTerms.Contains(term) && term.Any(char.IsLetterOrDigit) && term.IndexOfAny(QuestionCharacters) < 0
        && !(HasHan(term) && _chineseStopTerms.Value.Contains(term));

    // Characters that in Chinese almost only occur in question words (哪个, 什么, 谁, 吗...): a term
    // holding one, such as the bigram 由哪 of 是由哪个公司, asks rather than tells.
    private static readonly char[] QuestionCharacters = ['的', '是', '哪', '什', '么', '麼', '谁', '誰', '吗', '嗎', '呢', '怎', '啥', '幾'];
}

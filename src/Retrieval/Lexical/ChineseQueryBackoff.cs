using System.Collections.Frozen;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Terms for the characters of a question that none of its own terms can match in a passage.
/// jieba's HMM glues a lone verb to the modal before it (电池要充多久 → 电池 / 要充 / 多久): no passage
/// holds the word 要充, and the bigrams 要充 and 充多 cross word boundaries, so 充 is lost although
/// the charging passage says 充电 four times. Passages never hold a lone character as a term
/// (their terms are words and bigrams), so a lone content character of a question matches nothing
/// either. Such a "stranded" character is backed off to the dictionary's two-character words that
/// hold it, as terms at a fraction of a term's weight: BM25's IDF then favours the ones the
/// collection uses rarely, and absent ones cost nothing.
/// </summary>
internal static class ChineseQueryBackoff
{
    /// <summary>
    /// A backoff term's query weight, against 1 for each of the question's own terms: one matched
    /// backoff word must not outweigh a matched word the user typed.
    /// </summary>
    public const float Weight = 0.3f;

    /// <summary>
    /// At most this many backoff terms per question, shared evenly by its stranded characters: at a
    /// million chunks a question with five lone characters carried up to 240 of them, and its lexical
    /// search took 229 ms at the 99th percentile (bench store, issue 17). One character keeps all of
    /// its words (<see cref="ChineseCharacterWords.MaxWordsPerCharacter"/>): 充 needs its 32nd, 充到,
    /// for the sample question 电池要充多久 to find 从没电充到全满.
    /// </summary>
    public const int MaxTermsPerQuery = ChineseCharacterWords.MaxWordsPerCharacter;

    /// <summary>
    /// Modal verbs, adverbs and particles (Simplified: queries are folded before they are cut) that
    /// jieba's HMM glues to the single-character verb beside them (要充, 能骑, 会坏, 不亮).
    /// </summary>
    private static readonly FrozenSet<char> FunctionCharacters = FrozenSet.ToFrozenSet(
        "要会能可该得让给就才还再又很太最更已没不别想需应也都的了是在把被从对为以于着过吗呢吧啊么和与及或而之其所将这那哪几怎每各请");

    /// <summary>Adds the stranded characters of one jieba word of a question to <paramref name="stranded"/>.</summary>
    public static void CollectStranded(string word, string? dictionaryDirectory, ICollection<string> stranded)
    {
        if (word.Length == 1 && IsContentCharacter(word[0]))
        {
            stranded.Add(word);
        }
        else if (word.Length == 2 && !ChineseWordSegmenter.IsDictionaryWord(word, dictionaryDirectory))
        {
            // A word jieba made up: a function character and a content character make a lone content character.
            if (FunctionCharacters.Contains(word[0]) && IsContentCharacter(word[1]))
            {
                stranded.Add(word[1..]);
            }
            else if (FunctionCharacters.Contains(word[1]) && IsContentCharacter(word[0]))
            {
                stranded.Add(word[..1]);
            }
        }
    }

    /// <summary>The backoff terms of the stranded characters, written as the passages' terms are (bigrams or words).</summary>
    public static IEnumerable<string> Terms(IEnumerable<string> stranded, Bm25Options options)
    {
        var prefix = options.ChineseTerms == ChineseTerms.Words ? "" : TextTokenizer.BigramMarker.ToString();
        var characters = stranded.Distinct(StringComparer.Ordinal).ToList();
        if (characters.Count == 0)
        {
            yield break;
        }
        var perCharacter = Math.Max(1, MaxTermsPerQuery / characters.Count);
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var character in characters)
        {
            // The most frequent words first: the share keeps the likeliest readings of the character.
            var words = ChineseCharacterWords.Containing(character[0], options.JiebaDictionaryDirectory)
                .Where(word => !FunctionCharacters.Contains(word[0]) && !FunctionCharacters.Contains(word[1]) && !StopWords.Chinese.Contains(word))
                .Take(perCharacter);
            // A word that holds two stranded characters (换洗) is one term, not two.
            foreach (var word in words.Where(given.Add))
            {
                yield return prefix + word;
            }
            if (given.Count >= MaxTermsPerQuery)
            {
                // More stranded characters than the budget has terms: the first ones get one each.
                yield break;
            }
        }
    }

    private static bool IsContentCharacter(char c) =>
        !char.IsSurrogate(c) && HanCharacters.IsHan(new System.Text.Rune(c))
        && !FunctionCharacters.Contains(c) && !StopWords.Chinese.Contains(c.ToString());
}

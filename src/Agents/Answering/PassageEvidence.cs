using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Answering;

/// <summary>A retrieved passage taken apart for one question: its units and the terms of each.</summary>
public sealed class PassageEvidence
{
    internal PassageEvidence(int rank, SearchHit hit, IReadOnlyList<PassageUnit> units, IReadOnlyList<HashSet<string>> unitTerms, HashSet<string> contextTerms)
    {
        Rank = rank;
        Hit = hit;
        Units = units;
        UnitTerms = unitTerms;
        ContextTerms = contextTerms;
        AllTerms = [.. contextTerms];
        foreach (var set in unitTerms)
            AllTerms.UnionWith(set);
        UnitDense = new double?[units.Count];
        UnitText = units.Select(u => PhraseText.Of(u.MatchText)).ToList();
        _contextText = PhraseText.Of(string.Join('\n', [hit.Title ?? "", .. hit.Chunk.Headings]));
    }

    private readonly string _contextText;

    /// <summary>
    /// Whether a unit holds a term. A Chinese term also counts when its characters stand in the
    /// unit's text, however the unit was segmented: the question's word 绘制 is in 繪製地圖 even
    /// though jieba made one word of that.
    /// </summary>
    public bool UnitHas(int unit, string term) => UnitTerms[unit].Contains(term) || InText(UnitText[unit], term);

    /// <summary>Whether the title or headings hold a term.</summary>
    public bool ContextHas(string term) => ContextTerms.Contains(term) || InText(_contextText, term);

    /// <summary>
    /// Whether the title, the headings, or a heading line of the passage above the unit hold a term
    /// (a plain-text file's first line "Aurora warranty policy" titles what follows it).
    /// </summary>
    public bool ContextHas(string term, int unit)
    {
        if (ContextHas(term))
            return true;
        for (var u = 0; u < unit; u++)
        {
            if (Units[u].Kind == PassageUnitKind.Heading && UnitHas(u, term))
                return true;
        }

        return false;
    }

    /// <summary>Whether the passage, its title or headings hold a term anywhere.</summary>
    public bool Has(string term)
    {
        if (AllTerms.Contains(term) || ContextHas(term))
            return true;
        for (var u = 0; u < Units.Count; u++)
        {
            if (InText(UnitText[u], term))
                return true;
        }

        return false;
    }

    private static bool InText(string text, string term)
    {
        var chars = ContentTerms.Display(term);
        return chars.Length > 0 && ScriptDetector.IsCjk(chars[0])
            && (text.Contains(chars, StringComparison.Ordinal) || Spread(text, chars));
    }

    // Most characters one Chinese word may be spread over, beyond its own.
    private const int MaxSpread = 2;

    /// <summary>
    /// Whether a Chinese word of two to four characters stands in the text with its characters in
    /// order and at most <see cref="MaxSpread"/> others between them: a paraphrase keeps the word's
    /// characters but splits them (充滿 in 充到全滿, 充電 in 充好電), and jieba's word alone would miss it.
    /// </summary>
    private static bool Spread(string text, string chars)
    {
        if (chars.Length is < 2 or > 4)
            return false;
        for (var start = text.IndexOf(chars[0], StringComparison.Ordinal); start >= 0; start = text.IndexOf(chars[0], start + 1))
        {
            var at = start;
            var gaps = 0;
            var k = 1;
            for (; k < chars.Length; k++)
            {
                var next = text.IndexOf(chars[k], at + 1);
                if (next < 0 || (gaps += next - at - 1) > MaxSpread)
                    break;
                at = next;
            }

            if (k == chars.Length)
                return true;
        }

        return false;
    }

    /// <summary>0-based rank in the retrieved list.</summary>
    public int Rank { get; }
    public SearchHit Hit { get; }
    public IReadOnlyList<PassageUnit> Units { get; }
    public IReadOnlyList<HashSet<string>> UnitTerms { get; }
    /// <summary>Terms of the document title and the headings above the passage.</summary>
    public HashSet<string> ContextTerms { get; }
    public HashSet<string> AllTerms { get; }
    /// <summary>Cosine between the question and each unit; null where not computed (no embedding model, or one that cannot read the question).</summary>
    public double?[] UnitDense { get; }
    /// <summary>Each unit's text as phrase matching reads it (<see cref="PhraseText"/>).</summary>
    internal IReadOnlyList<string> UnitText { get; }
}

/// <summary>
/// Everything the answerer knows about a question and its retrieved passages: the question's focus,
/// each passage taken apart into units, and how much each question term tells (rare among the
/// passages' units = telling; absent from all of them = most telling, as nothing here has it).
/// Relevance and sentence choice both read it, so they weigh the same evidence the same way.
/// </summary>
public sealed class QuestionEvidence
{
    private readonly Dictionary<string, double> _weights;

    private readonly Dictionary<string, double> _bigramWeights;
    private readonly double _bigramTotal;

    private QuestionEvidence(QuestionFocus focus, IReadOnlyList<PassageEvidence> passages, Dictionary<string, double> weights,
        IReadOnlyList<PassageEvidence> weighing, int unitCount)
    {
        Focus = focus;
        Passages = passages;
        Background = weighing.Skip(passages.Count).ToList();
        _weights = weights;
        TotalWeight = focus.Terms.Sum(Weight);
        var asked = PhraseText.WithoutQuestionWords(focus.Question);
        QuestionText = PhraseText.Of(asked);
        QuestionBigrams = HanBigrams(asked);
        // Weighed like the terms: a pair in most retrieved sentences is the topic (the article's name), one in few tells.
        _bigramWeights = QuestionBigrams.ToDictionary(b => b, b =>
            Math.Log(1 + (unitCount + 1) / (0.5 + Math.Max(1, weighing.Sum(p => p.UnitText.Count(t => t.Contains(b, StringComparison.Ordinal)))))),
            StringComparer.Ordinal);
        _bigramTotal = _bigramWeights.Values.Sum();
        AbsentTerms = TotalWeight <= 0 ? 0 : focus.Terms.Where(t => !weighing.Any(p => p.Has(t))).Sum(Weight) / TotalWeight;
        AbsentBigrams = QuestionBigrams.Count == 0 ? 0
            : QuestionBigrams.Count(b => !weighing.Any(p => p.UnitText.Any(t => t.Contains(b, StringComparison.Ordinal)))) / (double)QuestionBigrams.Count;
    }

    /// <summary>Share of the question (weighted) that no retrieved passage holds, background ones included.</summary>
    public double AbsentTerms { get; }

    /// <summary>Share of the question's character pairs that no retrieved sentence holds; 0 when it has none.</summary>
    public double AbsentBigrams { get; }

    /// <summary>The weighted share of the most telling question term the passage lacks; 0 when it lacks none.</summary>
    public double MissingFocus(PassageEvidence passage) =>
        TotalWeight <= 0 ? 0 : Focus.Terms.Where(t => !passage.Has(t)).Select(Weight).DefaultIfEmpty(0).Max() / TotalWeight;

    /// <summary>
    /// Share of the question's character pairs, weighted by how telling each is among the retrieved
    /// sentences, that stand in one unit's text; 0 when the question has none.
    /// </summary>
    public double WeightedBigramCoverage(PassageEvidence passage, int unit) =>
        _bigramTotal <= 0 ? 0 : _bigramWeights.Where(b => passage.UnitText[unit].Contains(b.Key, StringComparison.Ordinal)).Sum(b => b.Value) / _bigramTotal;

    /// <summary>The longest stretch of the question's wording in the unit, in characters (phrase matching's text).</summary>
    public int PhraseLength(PassageEvidence passage, int unit) => PhraseText.LongestCommonRun(QuestionText, passage.UnitText[unit]);

    /// <summary>
    /// The question's Chinese character pairs (Simplified, question words left out), read from the
    /// characters rather than from jieba's words: 電池要充多久 gives 电池, 池要, 要充 and 充多.
    /// </summary>
    internal IReadOnlySet<string> QuestionBigrams { get; }

    private static HashSet<string> HanBigrams(string text)
    {
        var pairs = new HashSet<string>(StringComparer.Ordinal);
        var folded = ChineseScriptFolding.ToSimplified(text);
        for (var i = 0; i + 1 < folded.Length; i++)
        {
            if (ScriptDetector.IsCjk(folded[i]) && ScriptDetector.IsCjk(folded[i + 1]))
                pairs.Add(folded.Substring(i, 2));
        }

        return pairs;
    }

    /// <summary>Share of the question's character pairs that stand in one unit's text; 0 when the question has none.</summary>
    public double BigramCoverage(PassageEvidence passage, int unit) =>
        QuestionBigrams.Count == 0 ? 0 : QuestionBigrams.Count(b => passage.UnitText[unit].Contains(b, StringComparison.Ordinal)) / (double)QuestionBigrams.Count;

    /// <summary>The question as phrase matching reads it, without its question words.</summary>
    internal string QuestionText { get; }

    public QuestionFocus Focus { get; }
    public IReadOnlyList<PassageEvidence> Passages { get; }

    /// <summary>
    /// The hits retrieved beyond the candidates (ranked after them), taken apart as the candidates are. They weigh
    /// the terms and may lend an extractive answer another chunk of a document it draws on; they never decide a refusal.
    /// </summary>
    public IReadOnlyList<PassageEvidence> Background { get; }
    public double TotalWeight { get; }

    /// <summary>How much a question term tells (0 for terms not in the question).</summary>
    public double Weight(string term) => _weights.GetValueOrDefault(term);

    /// <param name="background">
    /// More hits of the same search, beyond the candidates, to tell topic terms (in many of them)
    /// from telling ones; null weighs terms by the candidates alone.
    /// </param>
    public static QuestionEvidence Build(QuestionFocus focus, IReadOnlyList<SearchHit> hits, ContentTerms terms, IReadOnlyList<SearchHit>? background = null)
    {
        ArgumentNullException.ThrowIfNull(focus);
        ArgumentNullException.ThrowIfNull(hits);
        var passages = hits.Select((hit, rank) => Take(rank, hit, terms)).ToList();

        // Inverse unit frequency over every unit retrieved: a term in every sentence is the topic,
        // not what tells the answer apart. A term that no passage has at all weighs most.
        // Background passages only weigh the question's terms. When no question term holds a Han character,
        // no Han text of theirs can match one, so it is left out of their terms: an English question on a
        // bilingual knowledge base then does not load jieba's dictionary (over a second of CPU, most of a cold
        // `kqa ask`) for the Chinese passages dense search brings along.
        var withoutHan = !focus.Terms.Any(HanText.Holds);
        var weighing = background is null ? passages : [.. passages, .. background.Skip(hits.Count).Select((h, i) => Take(hits.Count + i, h, terms, withoutHan))];
        focus = MisspelledTerms.Repair(focus, weighing);
        var unitCount = weighing.Sum(p => p.Units.Count);
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var term in focus.Terms)
        {
            // A term no unit has counts as if one had it: telling, but not infinitely (it may be a paraphrase).
            var frequency = Math.Max(1, weighing.Sum(p => Enumerable.Range(0, p.Units.Count).Count(u => p.UnitHas(u, term))));
            var weight = Math.Log(1 + (unitCount + 1) / (0.5 + frequency));
            // Character bigrams of Chinese text overlap the words they come from, and one-character
            // words (时, 年) are mostly grammar: count them half.
            weights[term] = ContentTerms.IsBigram(term) || IsSingleCjk(term) ? weight * 0.5 : weight;
        }

        return new QuestionEvidence(focus, passages, weights, weighing, unitCount);
    }

    private static PassageEvidence Take(int rank, SearchHit hit, ContentTerms terms, bool withoutHan = false)
    {
        var units = PassageSegmenter.Segment(hit.Chunk.Text, [.. hit.Chunk.Headings, .. hit.Title is null ? Array.Empty<string>() : [hit.Title]]);
        Func<string, string> text = withoutHan ? HanText.Blank : t => t;
        var unitTerms = units.Select(u => terms.AllOf(text(u.MatchText))).ToList();
        var context = terms.AllOf(text(string.Join('\n', [hit.Title ?? "", .. hit.Chunk.Headings])));
        return new PassageEvidence(rank, hit, units, unitTerms, context);
    }

    private static bool IsSingleCjk(string term) => term.Length == 1 && ScriptDetector.IsCjk(term[0]);

    /// <summary>
    /// How much of the question (weighted) one unit covers, counting a term fully in the unit,
    /// partly in the units next to it, in the title and headings (<paramref name="contextShare"/>),
    /// or elsewhere in the passage.
    /// </summary>
    public double UnitCoverage(PassageEvidence passage, int unit, out List<string> found, double contextShare = 0.5)
    {
        found = [];
        if (TotalWeight <= 0)
            return 0;
        double sum = 0;
        foreach (var term in Focus.Terms)
        {
            double presence;
            if (passage.UnitHas(unit, term))
            {
                presence = 1.0;
                found.Add(term);
            }
            else if ((unit > 0 && passage.UnitHas(unit - 1, term)) || (unit + 1 < passage.Units.Count && passage.UnitHas(unit + 1, term)))
                presence = 0.5;
            else if (passage.ContextHas(term, unit))
                presence = contextShare;
            else if (passage.Has(term))
                presence = 0.25;
            else
                presence = 0;
            sum += Weight(term) * presence;
        }

        return sum / TotalWeight;
    }

    /// <summary>Share of the question (weighted) in the unit itself, nothing counted from around it.</summary>
    public double StrictUnitCoverage(PassageEvidence passage, int unit) =>
        TotalWeight <= 0 ? 0 : Focus.Terms.Where(t => passage.UnitHas(unit, t)).Sum(Weight) / TotalWeight;

    /// <summary>
    /// Share of the question (weighted) stated for the unit: in it, or in the title and headings it
    /// stands under, which say what every sentence below them is about ("The battery is covered for
    /// 2 years" under "Aurora warranty policy" is about the warranty).
    /// </summary>
    public double StatedCoverage(PassageEvidence passage, int unit) =>
        TotalWeight <= 0 ? 0 : Focus.Terms.Where(t => passage.UnitHas(unit, t) || passage.ContextHas(t, unit)).Sum(Weight) / TotalWeight;

    /// <summary>
    /// The longest stretch of the question's wording found word for word in the unit, as a share of
    /// the question's length: questions written from a sentence keep whole phrases of it.
    /// </summary>
    public double PhraseMatch(PassageEvidence passage, int unit) =>
        QuestionText.Length == 0 ? 0 : PhraseText.LongestCommonRun(QuestionText, passage.UnitText[unit]) / (double)QuestionText.Length;

    /// <summary>Share of the question (weighted) found anywhere in the passage, its title or headings.</summary>
    public double PassageCoverage(PassageEvidence passage) =>
        TotalWeight <= 0 ? 0 : Focus.Terms.Where(passage.Has).Sum(Weight) / TotalWeight;

    /// <summary>The question's content terms the passage lacks, most telling first.</summary>
    public IReadOnlyList<string> MissingTerms(PassageEvidence passage) =>
        Focus.Terms.Where(t => !passage.Has(t)).OrderByDescending(Weight).Select(ContentTerms.Display).Distinct().ToList();
}

using System.Text;
using System.Text.RegularExpressions;
using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Answering;

/// <summary>A character range of a passage's text.</summary>
public readonly record struct TextRange(int Start, int Length);

/// <summary>
/// An extracted sentence: the text shown, the passage it came from ([n]), its score, and the
/// ranges of the passage text it was taken from (a table row's header is one of them).
/// </summary>
public sealed record ExtractedSentence(string Text, int PassageNumber, double Score)
{
    public IReadOnlyList<TextRange> Ranges { get; init; } = [];
    public PassageUnitKind Kind { get; init; } = PassageUnitKind.Sentence;
    /// <summary>What the score is made of, for explanations.</summary>
    public string? Why { get; init; }
}

/// <summary>
/// How the extractive answer scores a candidate sentence: a logistic model of "this sentence holds
/// the answer" over the question terms it holds (weighted by how telling they are, alone and with
/// its neighbours and headings), the longest stretch of the question's wording in it, its dense
/// similarity to the question where the embedding model can read it, whether it holds the
/// asked-for kind of fact, whether it says anything the question does not, whether it is itself a
/// question or refers back to the sentence before, and where it stands. Fitted on the development
/// halves (docs/quality.md); one calibration with dense evidence, one without.
/// </summary>
public sealed record ExtractiveScoring
{
    public double Bias { get; init; }
    public double Coverage { get; init; }
    /// <summary>Applied to the share stated in the sentence or the title and headings above it (<see cref="QuestionEvidence.StatedCoverage"/>).</summary>
    public double Strict { get; init; }
    public double Phrase { get; init; }
    public double Dense { get; init; }
    public double KindFound { get; init; }
    public double KindMissing { get; init; }
    public double Novelty { get; init; }
    public double PassageRelevance { get; init; }
    public double IsQuestion { get; init; }
    public double RefersBack { get; init; }
    public double FirstInPassage { get; init; }
    /// <summary>Applied to the passage's 0-based place among the relevant passages.</summary>
    public double PassageRank { get; init; }
    /// <summary>Applied to ln(1 + length in characters).</summary>
    public double Length { get; init; }

    public static ExtractiveScoring WithDense { get; } = new()
    {
        Coverage = 1.182, Strict = 3.178, Phrase = 0.570, Dense = 2.395, KindFound = -0.053, KindMissing = -0.834, Novelty = -0.219,
        PassageRelevance = -2.648, IsQuestion = 0, RefersBack = 1.277, FirstInPassage = 0.050, PassageRank = -1.177, Length = 0.344, Bias = -3.178,
    };

    public static ExtractiveScoring LexicalOnly { get; } = new()
    {
        Coverage = 1.610, Strict = 1.525, Phrase = 2.105, KindFound = -0.125, KindMissing = -0.721, Novelty = 1.131,
        PassageRelevance = -0.936, IsQuestion = -1.045, RefersBack = 1.101, FirstInPassage = 0.312, PassageRank = -1.280, Length = 0.492, Bias = -5.286,
    };

    internal double Probability(double coverage, double strict, double phrase, double dense, bool? kind, double novelty, double relevance,
        bool question, bool refers, bool first, int passageRank, int length)
    {
        var z = Bias + Coverage * coverage + Strict * strict + Phrase * phrase + Dense * dense
            + (kind switch { true => KindFound, false => KindMissing, null => 0 }) + Novelty * novelty + PassageRelevance * relevance
            + (question ? IsQuestion : 0) + (refers ? RefersBack : 0) + (first ? FirstInPassage : 0) + PassageRank * passageRank
            + Length * Math.Log(1 + length);
        return 1 / (1 + Math.Exp(-z));
    }
}

/// <summary>
/// Answers without a chat model: picks the sentences of the relevant passages that answer the
/// question and cites each. Table rows are answers with their column names attached; headings and
/// column names are context, never answers; code lines answer only questions that ask for code.
/// </summary>
public sealed partial class ExtractiveAnswerer(AnswerOptions options)
{
    // A sentence that opens with a pronoun or a demonstrative refers back to the one before.
    // Chinese sentences that open with a consequence (所以, 因此...) lean on the one before just the same.
    [GeneratedRegex(@"^(?:(?:he|she|it|they|his|her|its|their|this|these|those|there)\b|[他她它其该該此这這]|所以|因此|因而|于是|於是)", RegexOptions.IgnoreCase)]
    private static partial Regex StartsWithReference();

    /// <summary>
    /// The chosen sentences, best first; empty when there is nothing to extract.
    /// <paramref name="passages"/> are the relevant passages in [n] order with their relevance.
    /// </summary>
    public IReadOnlyList<ExtractedSentence> Select(
        QuestionEvidence evidence, IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> passages) =>
        Select(evidence, passages, out _);

    /// <param name="runnersUp">The best sentences not chosen (up to five), for explanations.</param>
    public IReadOnlyList<ExtractedSentence> Select(
        QuestionEvidence evidence, IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> passages,
        out IReadOnlyList<ExtractedSentence> runnersUp)
    {
        runnersUp = [];
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(passages);
        var questionTerms = evidence.Focus.Terms.ToHashSet(StringComparer.Ordinal);
        var scored = new List<ExtractedSentence>();
        for (var p = 0; p < Math.Min(passages.Count, options.ExtractivePassages); p++)
        {
            var (passage, relevance) = passages[p];
            var model = passage.UnitDense.Any(d => d is not null) ? options.DenseExtraction : options.LexicalExtraction;
            for (var u = 0; u < passage.Units.Count; u++)
            {
                var unit = passage.Units[u];
                if (!unit.CanAnswer || (unit.Kind == PassageUnitKind.Code && !evidence.Focus.WantsCode))
                    continue;

                // The title and headings state what every sentence under them is about, so their terms count as the sentence's own.
                var coverage = evidence.UnitCoverage(passage, u, out var found, contextShare: 1.0);
                if (found.Count == 0 && passage.UnitDense[u] is null)
                    continue;
                var newTerms = passage.UnitTerms[u].Count(t => !questionTerms.Contains(t) && t.Any(char.IsLetterOrDigit));
                var kind = AnswerKinds.Holds(evidence.Focus.Kind, unit.MatchText);
                var dense = passage.UnitDense[u] ?? 0;
                var refers = StartsWithReference().IsMatch(unit.Text);
                var score = model.Probability(
                    coverage, evidence.StatedCoverage(passage, u), evidence.PhraseMatch(passage, u), dense, kind,
                    Math.Min(1.0, newTerms / 3.0), relevance.Score, IsQuestion(unit.Text), refers, u == 0, p, unit.Text.Length);

                var (text, ranges) = Shown(passage, u, refers);
                scored.Add(new ExtractedSentence(text, p + 1, score)
                {
                    Ranges = ranges,
                    Kind = unit.Kind,
                    Why = Why(coverage, found, dense, passage.UnitDense[u] is not null, kind, evidence.Focus.Kind),
                });
            }
        }

        if (scored.Count == 0)
            return [];

        var ranked = scored.OrderByDescending(s => s.Score).ThenBy(s => s.PassageNumber).ToList();
        var best = ranked[0];
        var chosen = new List<ExtractedSentence> { best };
        foreach (var next in ranked.Skip(1))
        {
            if (chosen.Count >= options.MaxExtractiveSentences || next.Score < best.Score * options.ExtractiveSentenceRatio
                || next.Score < options.MinExtraSentenceProbability)
                break;
            // A sentence shown with its predecessor may overlap one chosen on its own.
            if (!chosen.Any(c => c.PassageNumber == next.PassageNumber && Overlaps(c.Ranges, next.Ranges)))
                chosen.Add(next);
        }

        runnersUp = ranked.Where(r => !chosen.Contains(r)).Take(MaxRunnersUp).ToList();
        return chosen;
    }

    private const int MaxRunnersUp = 5;

    /// <summary>The unit as shown, with the sentence before it when it refers back ("It was completed in 1889.").</summary>
    private static (string Text, IReadOnlyList<TextRange> Ranges) Shown(PassageEvidence passage, int u, bool refers)
    {
        var unit = passage.Units[u];
        var ranges = new List<TextRange>();
        if (unit.Header is { } header)
            ranges.Add(new TextRange(header.Start, header.Length));
        var text = unit.Display;
        if (refers && unit.Kind == PassageUnitKind.Sentence && u > 0 && passage.Units[u - 1] is { Kind: PassageUnitKind.Sentence } previous)
        {
            text = previous.Display + SentenceJoiner(unit.Text) + text;
            ranges.Add(new TextRange(previous.Start, previous.Length));
        }

        ranges.Add(new TextRange(unit.Start, unit.Length));
        return (text, ranges);
    }

    private static bool Overlaps(IReadOnlyList<TextRange> a, IReadOnlyList<TextRange> b) =>
        a.Any(x => b.Any(y => x.Start < y.Start + y.Length && y.Start < x.Start + x.Length));

    private static bool IsQuestion(string text) => text.TrimEnd().EndsWith('?') || text.TrimEnd().EndsWith('？');

    private static string Why(double coverage, List<string> found, double dense, bool hasDense, bool? kind, AnswerKind asked)
    {
        var text = new StringBuilder(FormattableString.Invariant($"covers {coverage:P0}"));
        if (found.Count > 0)
            text.Append(" (").AppendJoin(", ", found.Take(6).Select(ContentTerms.Display)).Append(')');
        if (hasDense)
            text.Append(FormattableString.Invariant($", dense {dense:F2}"));
        if (kind is bool holds)
            text.Append(holds ? $", holds the asked-for {asked.ToString().ToLowerInvariant()}" : $", no {asked.ToString().ToLowerInvariant()}");
        return text.ToString();
    }

    private static string SentenceJoiner(string next) => next.Length > 0 && ScriptDetector.IsCjk(next[0]) ? "" : " ";

    /// <summary>The answer text: each sentence followed by its citation marker.</summary>
    public static string Compose(IReadOnlyList<ExtractedSentence> sentences, AnswerTexts texts)
    {
        var text = new StringBuilder();
        foreach (var sentence in sentences)
            text.Append(Piece(sentence, texts, first: text.Length == 0));
        return text.ToString();
    }

    /// <summary>One sentence of the answer as streamed: separator, text and marker.</summary>
    public static string Piece(ExtractedSentence sentence, AnswerTexts texts, bool first)
    {
        // CJK text has no spaces between words, so none before the marker either.
        var marker = (texts.SentenceSeparator.Length > 0 ? " [" : "[") + sentence.PassageNumber + "]";
        return (first ? "" : texts.SentenceSeparator) + sentence.Text + marker;
    }
}

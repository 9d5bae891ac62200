using System.Globalization;
using System.Text;
using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Answering;

/// <summary>The evidence that a passage answers a question, as the relevance model reads it.</summary>
/// <param name="Coverage">Share of the question's content terms (weighted by how telling they are) anywhere in the passage, title or headings.</param>
/// <param name="BestUnitCoverage">The same share for the passage's best sentence, counting its neighbours and headings in part: where the terms fall.</param>
/// <param name="NamedCoverage">Share of the question's names, codes and numbers in the passage; 1 when the question has none.</param>
/// <param name="KindFound">Whether the best sentence (or one next to it) holds the asked-for kind of fact; null when the question's kind cannot be checked.</param>
/// <param name="Dense">The passage's cosine to the question, when dense scores count for this question.</param>
/// <param name="BestUnitDense">The best sentence's cosine to the question, when sentence embeddings were computed.</param>
/// <param name="BestUnit">Index of the best unit in <see cref="PassageEvidence.Units"/>; -1 when the passage has no unit that can answer.</param>
/// <param name="BestUnitStrict">The best sentence's share counting only the sentence itself.</param>
/// <param name="Phrase">The longest stretch of the question's wording found word for word in one sentence, as a share of the question.</param>
/// <param name="TermCount">The question's content terms: short questions say less, so their coverage is less telling.</param>
/// <param name="IsTop">Whether the passage ranked first in the search.</param>
public sealed record RelevanceFeatures(
    double Coverage, double BestUnitCoverage, double NamedCoverage, bool? KindFound, double? Dense, double? BestUnitDense, int BestUnit,
    double BestUnitStrict, double Phrase, int TermCount, bool IsTop);

/// <summary>A passage's relevance decision and the reason, in words.</summary>
public sealed record PassageRelevance(RelevanceFeatures Features, double Score, bool IsRelevant, string Reason, IReadOnlyList<string> MissingTerms);

/// <summary>
/// A logistic model of "this passage answers the question" over <see cref="RelevanceFeatures"/>.
/// Two calibrations: one with dense (embedding) evidence, for questions the embedding model can
/// read, and one on lexical evidence alone (Chinese with the default all-MiniLM-L6-v2, whose
/// scores there are noise). Fitted on the development halves of xquad-en, drcd and cmrc2018
/// (docs/quality.md says how); refit for another embedding model.
/// </summary>
public sealed record RelevanceModel
{
    public double Bias { get; init; }
    public double Coverage { get; init; }
    public double BestUnitCoverage { get; init; }
    /// <summary>Applied to (1 - NamedCoverage): a missing name or code weighs against.</summary>
    public double NamedMissing { get; init; }
    public double KindFound { get; init; }
    public double KindMissing { get; init; }
    public double Dense { get; init; }
    public double BestUnitDense { get; init; }
    public double BestUnitStrict { get; init; }
    public double Phrase { get; init; }
    /// <summary>Applied to ln(1 + term count).</summary>
    public double TermCount { get; init; }
    public double IsTop { get; init; }

    /// <summary>A passage is relevant when the model's probability reaches this.</summary>
    public double Threshold { get; init; } = 0.5;

    // Fitted by logistic regression on the development halves (docs/quality.md, "Refusals"): passages
    // of a question's own context that hold its answer against every passage retrieved with that
    // context left out of the store; thresholds put false refusals just under 3% per set. The
    // negative weights of KindFound read as: questions whose kind can be checked (how long, when)
    // need more evidence than the base rate of the other questions.

    public static RelevanceModel WithDense { get; } = new()
    {
        Coverage = 3.089, BestUnitCoverage = 2.781, NamedMissing = -1.012, KindFound = -0.494, KindMissing = -1.166, BestUnitStrict = 2.523,
        Phrase = 2.965, TermCount = 0.662, IsTop = 1.295, Dense = 2.284, BestUnitDense = 4.656, Bias = -9.356, Threshold = 0.546,
    };

    public static RelevanceModel LexicalOnly { get; } = new()
    {
        Coverage = 4.296, BestUnitCoverage = 4.794, NamedMissing = -0.938, KindFound = -0.398, KindMissing = -0.235, BestUnitStrict = 0.328,
        Phrase = 1.860, TermCount = 1.401, IsTop = 0.808, Bias = -7.925, Threshold = 0.317,
    };

    public double Probability(RelevanceFeatures f)
    {
        var z = Bias + Coverage * f.Coverage + BestUnitCoverage * f.BestUnitCoverage + NamedMissing * (1 - f.NamedCoverage)
            + (f.KindFound switch { true => KindFound, false => KindMissing, null => 0 })
            + Dense * (f.Dense ?? 0) + BestUnitDense * (f.BestUnitDense ?? 0)
            + BestUnitStrict * f.BestUnitStrict + Phrase * f.Phrase + TermCount * Math.Log(1 + f.TermCount) + (f.IsTop ? IsTop : 0);
        return 1 / (1 + Math.Exp(-z));
    }
}

/// <summary>
/// Decides which retrieved passages may ground an answer. Retrieval always returns its top k, even
/// for a question the knowledge base cannot answer, so each hit must earn its place. The evidence:
/// how much of the question the passage covers, weighted by how telling each term is; whether the
/// terms fall together in one sentence rather than scattered; whether the names the question
/// mentions are there at all; whether a sentence holds the kind of fact asked for (a duration for
/// "how long", which is what lets a paraphrase through); and, where the embedding model can read
/// the question, the dense similarity of the passage and of its best sentence.
/// </summary>
public sealed class RelevanceFilter(AnswerOptions options)
{
    public PassageRelevance Assess(QuestionEvidence evidence, PassageEvidence passage)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(passage);
        var features = Features(evidence, passage, DenseCounts(evidence.Focus, passage));
        var model = features.BestUnitDense is not null || features.Dense is not null ? options.DenseRelevance : options.LexicalRelevance;
        var score = model.Probability(features);
        var relevant = score >= model.Threshold && features.BestUnit >= 0;
        var missing = evidence.MissingTerms(passage);
        return new PassageRelevance(features, score, relevant, Reason(evidence, passage, features, score, model.Threshold, relevant, missing), missing);
    }

    /// <summary>Whether the passage's dense score means anything for this question.</summary>
    public bool DenseCounts(QuestionFocus focus, PassageEvidence passage) =>
        passage.Hit.DenseScore is not null && (!focus.IsCjk || options.UseDenseScoreForCjk) && passage.UnitDense.Any(d => d is not null);

    private static RelevanceFeatures Features(QuestionEvidence evidence, PassageEvidence passage, bool denseCounts)
    {
        var best = -1;
        double bestCoverage = 0, bestRank = double.MinValue, bestPhrase = 0;
        double? bestDense = null;
        for (var u = 0; u < passage.Units.Count; u++)
        {
            var unit = passage.Units[u];
            if (!unit.CanAnswer || (unit.Kind == PassageUnitKind.Code && !evidence.Focus.WantsCode))
                continue;
            var coverage = evidence.UnitCoverage(passage, u, out _);
            var dense = passage.UnitDense[u];
            bestDense = dense is double d && (bestDense is null || d > bestDense) ? d : bestDense;
            bestPhrase = Math.Max(bestPhrase, evidence.PhraseMatch(passage, u));
            // The best unit is the one the extractive answer would lean on: coverage first, dense as a second voice.
            var rank = coverage + (dense ?? 0);
            if (rank > bestRank)
            {
                bestRank = rank;
                bestCoverage = coverage;
                best = u;
            }
        }

        var named = evidence.Focus.NamedTerms;
        var namedCoverage = named.Count == 0 ? 1.0 : named.Count(passage.Has) / (double)named.Count;
        bool? kindFound = null;
        if (best >= 0 && AnswerKinds.Holds(evidence.Focus.Kind, passage.Units[best].MatchText) is bool found)
        {
            kindFound = found
                || (best > 0 && AnswerKinds.Holds(evidence.Focus.Kind, passage.Units[best - 1].MatchText) == true)
                || (best + 1 < passage.Units.Count && AnswerKinds.Holds(evidence.Focus.Kind, passage.Units[best + 1].MatchText) == true);
        }

        return new RelevanceFeatures(
            evidence.PassageCoverage(passage), bestCoverage, namedCoverage, kindFound,
            denseCounts ? passage.Hit.DenseScore : null, denseCounts ? bestDense : null, best,
            best >= 0 ? evidence.StrictUnitCoverage(passage, best) : 0, bestPhrase, evidence.Focus.Terms.Count, passage.Rank == 0);
    }

    private static string Reason(
        QuestionEvidence evidence, PassageEvidence passage, RelevanceFeatures f, double score, double threshold, bool relevant, IReadOnlyList<string> missing)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{(relevant ? "relevant" : "not relevant")} ({score:F2} {(score >= threshold ? ">=" : "<")} {threshold:F2}): ");
        text.Append(CultureInfo.InvariantCulture, $"covers {f.Coverage:P0} of the question's terms, best sentence {f.BestUnitCoverage:P0}");
        if (evidence.Focus.NamedTerms.Count > 0)
            text.Append(CultureInfo.InvariantCulture, $", names {f.NamedCoverage:P0}");
        if (f.KindFound is bool kind)
            text.Append(kind ? $", holds a {Describe(evidence.Focus.Kind)}" : $", no {Describe(evidence.Focus.Kind)} near the best sentence");
        if (f.Dense is double dense)
            text.Append(CultureInfo.InvariantCulture, $", dense {dense:F2}");
        if (f.BestUnitDense is double unitDense)
            text.Append(CultureInfo.InvariantCulture, $", best sentence dense {unitDense:F2}");
        if (f.BestUnit < 0)
            text.Append(", no sentence that can answer (headings, table headers or code only)");
        if (missing.Count > 0)
            text.Append("; missing: ").AppendJoin(", ", missing.Take(5));
        return text.ToString();
    }

    private static string Describe(AnswerKind kind) => kind switch
    {
        AnswerKind.Number => "number",
        AnswerKind.Duration => "duration",
        AnswerKind.Date => "date or time",
        AnswerKind.Person => "person",
        AnswerKind.Place => "place",
        AnswerKind.Reason => "reason",
        AnswerKind.Method => "way to do it",
        AnswerKind.Definition => "definition",
        _ => kind.ToString().ToLowerInvariant(),
    };
}

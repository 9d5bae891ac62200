using System.Globalization;
using System.Text;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Evaluation;

/// <summary>A retrieved passage's features and whether it holds the question's answer.</summary>
public sealed record LabelledPassage(bool Answers, RelevanceFeatures Features);

/// <summary>
/// One question's training evidence: its passages as retrieved from the store (when its context is
/// in the store) and as retrieved with its own context taken out (as if the knowledge base never
/// had it). <paramref name="Script"/> is the question's Chinese script, which picks its threshold.
/// </summary>
public sealed record RelevanceSample(string Dataset, string QuestionId, bool ContextInStore, IReadOnlyList<LabelledPassage> Own, IReadOnlyList<RelevanceFeatures> Without,
    ChineseScript Script = ChineseScript.Unknown)
{
    /// <summary>Whether the question's passages carry dense evidence (so the dense model decides them).</summary>
    public bool Dense => Own.Any(p => HasDense(p.Features)) || Without.Any(HasDense);

    private static bool HasDense(RelevanceFeatures f) => f.Dense is not null || f.BestUnitDense is not null;
}

/// <summary>One point of the trade-off between false refusals and refusing questions whose context is missing.</summary>
public sealed record RefusalPoint(double Threshold, double FalseRefusals, double HeldOutRefused);

/// <summary>A fitted model and what its threshold gives on each data set it was fitted on.</summary>
public sealed record FittedRelevance(string Name, RelevanceModel Model, int Positives, int Negatives,
    IReadOnlyDictionary<string, IReadOnlyList<RefusalPoint>> Curves, IReadOnlyDictionary<string, RefusalPoint> Chosen);

/// <summary>
/// Fits the relevance models (<see cref="RelevanceModel.WithDense"/>, <see cref="RelevanceModel.LexicalOnly"/>)
/// on reading-comprehension sets, the way the answerer uses them. For every question: its search's
/// passages, decided exactly as an answer would (<see cref="GroundedAnswerer"/>), are positives where
/// they are its own context and hold its gold answer; the same search with its own context taken out
/// gives the negatives (every passage then retrieved: the knowledge base does not have the answer).
/// A logistic regression (L2, Newton steps on standardised inputs) is fitted per model; the threshold
/// is the highest one whose question-level false refusals stay within the target on every set.
/// </summary>
public sealed class RelevanceFitter(IKnowledgeRetriever retriever, GroundedAnswerer answerer)
{
    // Strong enough to keep overlapping inputs (coverage of the sentence and of the sentence alone, pairs
    // and weighted pairs) from growing large opposite weights that only cancel on the training data; on
    // the development halves 300 gave the Chinese sets 1-4 points more refusals at the same false refusals than 1.
    public const double DefaultL2 = 300;

    // Hits searched beyond the answerer's depth, so the list still holds that many once the question's own context is taken out.
    private const int Spare = 10;

    public async Task<IReadOnlyList<RelevanceSample>> CollectAsync(
        QaDataset dataset, IReadOnlySet<string> contextsNotInStore, int top, int? limit = null, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(contextsNotInStore);
        var depth = Math.Max(top, answerer.Options.BackgroundPassages);
        var retrieval = new RetrievalOptions { Top = depth + Spare, Mode = answerer.Options.Mode, Filter = answerer.Options.Filter };
        var samples = new List<RelevanceSample>();
        foreach (var question in limit is int n ? dataset.Questions.Take(n) : dataset.Questions)
        {
            var hits = await retriever.SearchAsync(question.Question, retrieval, cancellationToken).ConfigureAwait(false);
            var inStore = !contextsNotInStore.Contains(question.ContextId);
            var own = new List<LabelledPassage>();
            if (inStore)
            {
                var assessed = await answerer.AssessAsync(question.Question, hits.Take(depth).ToList(), top, cancellationToken).ConfigureAwait(false);
                own.AddRange(assessed.Assessed.Select(a => new LabelledPassage(
                    a.Passage.Hit.Chunk.DocumentId == question.ContextId && AnswerNormalizer.ContainsAny(a.Passage.Hit.Chunk.Text, question.Answers),
                    a.Relevance.Features)));
            }

            var without = hits.Where(h => h.Chunk.DocumentId != question.ContextId).Take(depth).ToList();
            var outside = await answerer.AssessAsync(question.Question, without, top, cancellationToken).ConfigureAwait(false);
            samples.Add(new RelevanceSample(dataset.Name, question.Id, inStore, own, outside.Assessed.Select(a => a.Relevance.Features).ToList(),
                LanguageDetector.DetectChineseScript(question.Question)));
            progress?.Report(samples.Count);
        }

        return samples;
    }

    /// <summary>Fits one model on the samples and sets its threshold for at most <paramref name="targetFalseRefusals"/> on every set.</summary>
    public static FittedRelevance Fit(string name, IReadOnlyList<RelevanceSample> samples, double targetFalseRefusals, double l2 = DefaultL2)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var rows = new List<(double[] X, bool Y)>();
        foreach (var sample in samples)
        {
            rows.AddRange(sample.Own.Where(p => p.Answers && p.Features.BestUnit >= 0).Select(p => (RelevanceModel.Inputs(p.Features), true)));
            rows.AddRange(sample.Without.Where(f => f.BestUnit >= 0).Select(f => (RelevanceModel.Inputs(f), false)));
        }

        if (rows.Count(r => r.Y) == 0 || rows.Count(r => !r.Y) == 0)
            throw new EvaluationDataException($"{name}: fitting needs both passages that answer and passages that do not; got {rows.Count} passages.");
        var (weights, bias) = LogisticRegression.Fit(rows, l2);
        var model = RelevanceModel.FromWeights(weights, bias, 0.5);
        // A question is answered when its best passage passes, so what the threshold must separate is each
        // question's best answering passage from the hardest passages of the search without its context.
        // One more fit on those alone (hard negatives) gave the Chinese sets about a point more refusals at
        // the same false refusals on the development halves; further rounds changed nothing.
        var hard = HardRows(samples, model);
        if (hard.Any(r => r.Y) && hard.Any(r => !r.Y))
        {
            (weights, bias) = LogisticRegression.Fit(hard, l2);
            model = RelevanceModel.FromWeights(weights, bias, 0.5);
        }

        var curves = new Dictionary<string, IReadOnlyList<RefusalPoint>>(StringComparer.Ordinal);
        var perSet = samples.GroupBy(s => s.Dataset).ToDictionary(g => g.Key, g => Best(model, g.ToList()), StringComparer.Ordinal);
        // The highest threshold that keeps every set's false refusals within the target.
        var candidates = perSet.Values.SelectMany(v => v.Own).Distinct().Order().ToList();
        var threshold = candidates.Where(t => perSet.Values.All(v => Point(v, t).FalseRefusals <= targetFalseRefusals)).DefaultIfEmpty(0).Max();
        model = model with { Threshold = Math.Round(threshold, 3, MidpointRounding.ToZero) };
        foreach (var (set, best) in perSet)
            curves[set] = Curve(best);
        // Simplified Chinese questions get a threshold of their own, held to the same target on them
        // alone: the Traditional set binds the shared one, which leaves the Simplified set well under it.
        var simplified = samples.Where(s => s.Script == ChineseScript.Simplified).ToList();
        if (simplified.Count(s => s.ContextInStore) >= MinimumScriptQuestions)
        {
            var best = Best(model, simplified);
            var own = best.Own.Distinct().Where(t => Point(best, t).FalseRefusals <= targetFalseRefusals).DefaultIfEmpty(0).Max();
            model = model with { SimplifiedThreshold = Math.Round(own, 3, MidpointRounding.ToZero) };
            curves[SimplifiedQuestions] = Curve(best);
        }

        var chosen = samples.GroupBy(s => s.Dataset).ToDictionary(g => g.Key, g => Chosen(model, g.ToList()), StringComparer.Ordinal);
        return new FittedRelevance(name, model, rows.Count(r => r.Y), rows.Count(r => !r.Y), curves, chosen);
    }

    /// <summary>The name of the curve of the Simplified Chinese questions of every set, pooled.</summary>
    public const string SimplifiedQuestions = "Simplified Chinese questions";

    // Fewer in-store questions than this and a script's own threshold would be set by a handful of them
    // (3% of 200 is six questions); they keep the shared threshold.
    private const int MinimumScriptQuestions = 200;

    /// <summary>What a set gives with each question decided at its own script's threshold; the threshold shown is the one most of its questions get.</summary>
    private static RefusalPoint Chosen(RelevanceModel model, IReadOnlyList<RelevanceSample> samples)
    {
        static double Max(IEnumerable<RelevanceFeatures> passages, RelevanceModel m) =>
            passages.Where(f => f.BestUnit >= 0).Select(m.Probability).DefaultIfEmpty(0).Max();
        var inStore = samples.Where(s => s.ContextInStore).ToList();
        var falseRefusals = inStore.Count == 0 ? 0
            : inStore.Count(s => Max(s.Own.Select(p => p.Features), model) < model.ThresholdFor(s.Script)) / (double)inStore.Count;
        var refused = samples.Count == 0 ? 0 : samples.Count(s => Max(s.Without, model) < model.ThresholdFor(s.Script)) / (double)samples.Count;
        var usual = samples.GroupBy(s => model.ThresholdFor(s.Script)).MaxBy(g => g.Count())?.Key ?? model.Threshold;
        return new RefusalPoint(usual, falseRefusals, refused);
    }

    // Negatives kept per question for the second fit: its best and runner-up passages without its context.
    private const int HardNegatives = 2;

    private static List<(double[] X, bool Y)> HardRows(IReadOnlyList<RelevanceSample> samples, RelevanceModel model)
    {
        var rows = new List<(double[] X, bool Y)>();
        foreach (var sample in samples)
        {
            if (sample.Own.Where(p => p.Answers && p.Features.BestUnit >= 0).MaxBy(p => model.Probability(p.Features)) is { } best)
                rows.Add((RelevanceModel.Inputs(best.Features), true));
            rows.AddRange(sample.Without.Where(f => f.BestUnit >= 0).OrderByDescending(model.Probability).Take(HardNegatives)
                .Select(f => (RelevanceModel.Inputs(f), false)));
        }

        return rows;
    }

    /// <summary>Per question, the best probability among its passages that can answer: with its context (in store only) and without.</summary>
    private sealed record BestScores(List<double> Own, List<double> Without);

    private static BestScores Best(RelevanceModel model, IReadOnlyList<RelevanceSample> samples)
    {
        static double Max(IEnumerable<RelevanceFeatures> passages, RelevanceModel m) =>
            passages.Where(f => f.BestUnit >= 0).Select(m.Probability).DefaultIfEmpty(0).Max();
        return new BestScores(
            samples.Where(s => s.ContextInStore).Select(s => Max(s.Own.Select(p => p.Features), model)).ToList(),
            samples.Select(s => Max(s.Without, model)).ToList());
    }

    private static RefusalPoint Point(BestScores best, double threshold) => new(
        threshold,
        best.Own.Count == 0 ? 0 : best.Own.Count(p => p < threshold) / (double)best.Own.Count,
        best.Without.Count == 0 ? 0 : best.Without.Count(p => p < threshold) / (double)best.Without.Count);

    /// <summary>The thresholds at which false refusals reach 0.5%, 1%, ... 10%.</summary>
    private static IReadOnlyList<RefusalPoint> Curve(BestScores best)
    {
        var sorted = best.Own.Order().ToList();
        var points = new List<RefusalPoint>();
        foreach (var share in new[] { 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.10 })
        {
            var index = (int)Math.Floor(share * sorted.Count);
            if (index < sorted.Count)
                points.Add(Point(best, sorted[index]));
        }

        return points;
    }

    /// <summary>The trade-off curves and chosen points as Markdown.</summary>
    public static string Describe(FittedRelevance fitted)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{fitted.Name}: {fitted.Positives} answering passages, {fitted.Negatives} others; threshold {fitted.Model.Threshold:0.###}");
        if (fitted.Model.SimplifiedThreshold is double simplified)
            text.Append(CultureInfo.InvariantCulture, $", {simplified:0.###} for Simplified Chinese questions");
        text.Append('\n');
        text.Append("| set | threshold | false refusals | context-missing refused |\n| --- | ---: | ---: | ---: |\n");
        foreach (var (set, curve) in fitted.Curves)
        {
            foreach (var point in curve)
                text.Append(CultureInfo.InvariantCulture, $"| {set} | {point.Threshold:0.000} | {point.FalseRefusals:P1} | {point.HeldOutRefused:P1} |\n");
            if (!fitted.Chosen.TryGetValue(set, out var chosen))
                continue;
            text.Append(CultureInfo.InvariantCulture, $"| {set}, chosen | {chosen.Threshold:0.000} | {chosen.FalseRefusals:P1} | {chosen.HeldOutRefused:P1} |\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// Replaces the fitted models' initialisers inside the fitted block (between the FITTED-BEGIN and
    /// FITTED-END markers) of the file that defines them; a model not refitted keeps its coefficients.
    /// </summary>
    public static void WriteSource(string path, IReadOnlyList<FittedRelevance> fitted)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        FittedSource.Replace(path, nameof(RelevanceModel), fitted.Select(f => (f.Name, f.Model.ToCSharp(f.Name))));
    }

    /// <summary>Saves collected samples (one JSON line each), so fitting can be repeated without searching again.</summary>
    public static void Save(string path, IEnumerable<RelevanceSample> samples) => SampleFile.Save(path, samples);

    public static IReadOnlyList<RelevanceSample> Load(string path) =>
        SampleFile.Load<RelevanceSample>(path).ToList();
}

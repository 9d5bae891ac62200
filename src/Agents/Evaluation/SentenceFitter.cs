using System.Globalization;
using System.Text;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Search;

namespace KnowledgeQa.Agents.Evaluation;

/// <summary>A candidate sentence of an answer: what the model reads, where it stands, how long it is shown, and whether it holds the gold answer.</summary>
public sealed record LabelledSentence(bool HoldsGold, SentenceFeatures Features, int PassageNumber, IReadOnlyList<TextRange> Ranges, int Chars)
{
    /// <summary>The text the answer would show (for listing misses).</summary>
    public string Text { get; init; } = "";
}

/// <summary>One answered question's candidate sentences, as the extractive answer saw them.</summary>
public sealed record SentenceSample(string Dataset, string QuestionId, bool Dense, IReadOnlyList<LabelledSentence> Candidates)
{
    public string Question { get; init; } = "";

    /// <summary>Whether any candidate holds the gold answer (else no choice of sentence could find it).</summary>
    public bool Reachable => Candidates.Any(c => c.HoldsGold);
}

/// <summary>What a pair of sentence models gives on samples: gold in the best sentence, gold in the answer, and the answer's length.</summary>
public sealed record SentenceChoiceReport(string Dataset, int Questions, int Reachable, double GoldInBest, double GoldInAnswer, double MeanAnswerChars);

/// <summary>A fitted sentence model and the rows it was fitted on.</summary>
public sealed record FittedSentences(string Name, ExtractiveScoring Model, int Positives, int Negatives);

/// <summary>
/// Fits the extractive answer's sentence models (<see cref="ExtractiveScoring.WithDense"/>,
/// <see cref="ExtractiveScoring.LexicalOnly"/>) on reading-comprehension sets, the way the answer
/// uses them: every answerable question whose context is in the store is searched and decided as an
/// answer would be (<see cref="GroundedAnswerer"/>); when it is answered, each candidate sentence of
/// its relevant passages is a positive when the text the answer would show holds a gold answer, a
/// negative otherwise. A logistic regression (L2, Newton steps on standardised inputs) is fitted
/// per model, then again on each question's positives and its hardest negatives, which is the
/// choice the answer makes (the best sentence of the question, not of all sentences).
/// </summary>
public sealed class SentenceFitter(IKnowledgeRetriever retriever, GroundedAnswerer answerer)
{
    public const double DefaultL2 = 30;

    // Negatives kept per question for the second fit: the first fit's best-scored sentences without the answer.
    private const int HardNegatives = 5;

    public async Task<IReadOnlyList<SentenceSample>> CollectAsync(
        QaDataset dataset, IReadOnlySet<string> contextsNotInStore, int top, int? limit = null, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(contextsNotInStore);
        var options = answerer.Options;
        var retrieval = new RetrievalOptions { Top = Math.Max(top, options.BackgroundPassages), Mode = options.Mode, Filter = options.Filter };
        var samples = new List<SentenceSample>();
        var done = 0;
        foreach (var question in limit is int n ? dataset.Questions.Take(n) : dataset.Questions)
        {
            progress?.Report(++done);
            if (!question.IsAnswerable || contextsNotInStore.Contains(question.ContextId))
                continue;
            var background = await retriever.SearchAsync(question.Question, retrieval, cancellationToken).ConfigureAwait(false);
            var assessed = await answerer.AssessAsync(question.Question, background, top, cancellationToken).ConfigureAwait(false);
            var drawn = await answerer.DrawOnAsync(assessed, cancellationToken).ConfigureAwait(false);
            if (drawn.Count == 0)
                continue;
            var candidates = answerer.Extractive.Candidates(assessed.Evidence, drawn);
            samples.Add(new SentenceSample(dataset.Name, question.Id, candidates.Any(c => c.Features.Dense is not null),
                candidates.Select(c => new LabelledSentence(
                    AnswerNormalizer.ContainsAny(c.Sentence.Text, question.Answers), c.Features, c.Sentence.PassageNumber, c.Sentence.Ranges,
                    c.Sentence.Text.Length) { Text = c.Sentence.Text }).ToList()) { Question = question.Question });
        }

        return samples;
    }

    /// <summary>Fits one model on the samples (those of one kind: with dense evidence, or without).</summary>
    public static FittedSentences Fit(string name, IReadOnlyList<SentenceSample> samples, double l2 = DefaultL2)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var rows = samples.SelectMany(s => s.Candidates).Select(c => (ExtractiveScoring.Inputs(c.Features), c.HoldsGold)).ToList();
        if (!rows.Any(r => r.HoldsGold) || rows.All(r => r.HoldsGold))
            throw new EvaluationDataException($"{name}: fitting needs sentences that hold the answer and sentences that do not; got {rows.Count} sentences.");
        var (weights, bias) = LogisticRegression.Fit(rows, l2);
        var model = ExtractiveScoring.FromWeights(weights, bias);
        var hard = new List<(double[] X, bool Y)>();
        foreach (var sample in samples.Where(s => s.Reachable))
        {
            hard.AddRange(sample.Candidates.Where(c => c.HoldsGold).Select(c => (ExtractiveScoring.Inputs(c.Features), true)));
            hard.AddRange(sample.Candidates.Where(c => !c.HoldsGold).OrderByDescending(c => model.Probability(c.Features)).Take(HardNegatives)
                .Select(c => (ExtractiveScoring.Inputs(c.Features), false)));
        }

        if (hard.Any(r => r.Y) && hard.Any(r => !r.Y))
        {
            // The hard rows only rank; the bias of the first fit keeps the probabilities on the scale the
            // extra-sentence rules (AnswerOptions.MinExtraSentenceProbability) were set on.
            (weights, _) = LogisticRegression.Fit(hard, l2);
            var ranked = ExtractiveScoring.FromWeights(weights, 0);
            model = ranked with { Bias = Recentre(ranked, samples, model) };
        }

        return new FittedSentences(name, model, rows.Count(r => r.HoldsGold), rows.Count(r => !r.HoldsGold));
    }

    /// <summary>The bias that gives the ranking model the mean probability the first fit gives the best candidates.</summary>
    private static double Recentre(ExtractiveScoring ranked, IReadOnlyList<SentenceSample> samples, ExtractiveScoring first)
    {
        static double Logit(double p) => Math.Log(p / (1 - p));
        var tops = samples.Where(s => s.Candidates.Count > 0)
            .Select(s => (Ranked: s.Candidates.Max(c => Logit(ranked.Probability(c.Features))), First: s.Candidates.Max(c => Logit(first.Probability(c.Features)))))
            .ToList();
        return tops.Count == 0 ? 0 : tops.Average(t => t.First - t.Ranked);
    }

    /// <summary>
    /// A question's candidates from the passages the options draw on, scored by the options' model (with the
    /// gaps to the best among those passages, as the answer computes them), best first.
    /// </summary>
    private static List<(LabelledSentence Candidate, ExtractedSentence Sentence)> Scored(SentenceSample sample, AnswerOptions options)
    {
        var model = options.ExtractionFor(sample.Dense, LanguageDetector.DetectChineseScript(sample.Question));
        var used = sample.Candidates.Where(c => c.PassageNumber <= options.ExtractivePassages).ToList();
        var relative = SentenceFeatures.Relative(used.Select(c => c.Features).ToList());
        return used.Select((c, i) => (Candidate: c, Sentence: new ExtractedSentence(c.Text, c.PassageNumber, model.Probability(relative[i])) { Ranges = c.Ranges, KindFound = c.Features.KindFound }))
            .OrderByDescending(c => c.Sentence.Score).ThenBy(c => c.Sentence.PassageNumber).ToList();
    }

    /// <summary>Gold in the best sentence and in the answer the options would compose, per set, with the given models.</summary>
    public static IReadOnlyList<SentenceChoiceReport> Measure(IReadOnlyList<SentenceSample> samples, AnswerOptions options)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        return samples.GroupBy(s => s.Dataset).Select(set =>
        {
            int best = 0, answer = 0;
            long chars = 0;
            var answered = set.Where(s => s.Candidates.Any(c => c.PassageNumber <= options.ExtractivePassages)).ToList();
            foreach (var sample in answered)
            {
                var scored = Scored(sample, options);
                var chosen = ExtractiveAnswerer.Choose(scored.Select(s => s.Sentence).ToList(), options);
                var shown = scored.Where(s => chosen.Contains(s.Sentence)).Select(s => s.Candidate).ToList();
                best += scored[0].Candidate.HoldsGold ? 1 : 0;
                answer += shown.Any(c => c.HoldsGold) ? 1 : 0;
                chars += shown.Sum(c => c.Chars);
            }

            var n = Math.Max(1, answered.Count);
            var reachable = answered.Count(s => s.Candidates.Any(c => c.HoldsGold && c.PassageNumber <= options.ExtractivePassages));
            return new SentenceChoiceReport(set.Key, answered.Count, reachable, best / (double)n, answer / (double)n, chars / (double)n);
        }).ToList();
    }

    /// <summary>
    /// Questions whose gold answer is in a candidate sentence but not in the answer the options compose:
    /// the question, the sentences chosen and the best-scored sentence that holds the answer (the diagnostic
    /// of a wrong sentence choice).
    /// </summary>
    public static IEnumerable<string> Misses(IReadOnlyList<SentenceSample> samples, AnswerOptions options, int count)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var sample in samples.Where(s => s.Candidates.Count > 0))
        {
            if (count <= 0)
                yield break;
            var scored = Scored(sample, options);
            if (scored.Count == 0)
                continue;
            var chosen = ExtractiveAnswerer.Choose(scored.Select(s => s.Sentence).ToList(), options);
            var shown = scored.Where(s => chosen.Contains(s.Sentence)).ToList();
            if (shown.Any(s => s.Candidate.HoldsGold) || scored.FirstOrDefault(s => s.Candidate.HoldsGold) is not { Candidate: not null } gold)
                continue;
            count--;
            var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{sample.Dataset} {sample.QuestionId}: {sample.Question}\n");
            foreach (var (candidate, sentence) in shown)
                text.Append(CultureInfo.InvariantCulture, $"  chosen {sentence.Score:0.000} [{candidate.PassageNumber}] {candidate.Text}\n");
            text.Append(CultureInfo.InvariantCulture,
                $"  gold   {gold.Sentence.Score:0.000} [{gold.Candidate.PassageNumber}] (rank {scored.IndexOf(gold) + 1} of {scored.Count}) {gold.Candidate.Text}");
            yield return text.ToString();
        }
    }

    /// <summary>A Markdown table of <see cref="Measure"/>'s reports under a label.</summary>
    public static string Describe(string label, IReadOnlyList<SentenceChoiceReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var text = new StringBuilder($"{label}\n| set | answered | gold in a candidate | gold in best sentence | gold in answer | mean answer chars |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var r in reports)
            text.Append(CultureInfo.InvariantCulture,
                $"| {r.Dataset} | {r.Questions} | {r.Reachable / (double)Math.Max(1, r.Questions):P1} | {r.GoldInBest:P1} | {r.GoldInAnswer:P1} | {r.MeanAnswerChars:F0} |\n");
        return text.ToString();
    }

    /// <summary>Replaces the refitted models' initialisers in the fitted block of the file that defines <see cref="ExtractiveScoring"/>.</summary>
    public static void WriteSource(string path, IReadOnlyList<FittedSentences> fitted)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        FittedSource.Replace(path, nameof(ExtractiveScoring), fitted.Select(f => (f.Name, f.Model.ToCSharp(f.Name))));
    }

    /// <summary>Saves collected samples (one JSON line each), so fitting can be repeated without searching again.</summary>
    public static void Save(string path, IEnumerable<SentenceSample> samples) => SampleFile.Save(path, samples);

    /// <summary>
    /// The samples as an answer drawing on the first <paramref name="passages"/> relevant passages sees them:
    /// candidates of later passages left out, the gaps to the best candidate computed again.
    /// </summary>
    public static IReadOnlyList<SentenceSample> Within(IReadOnlyList<SentenceSample> samples, int passages)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return samples.Select(s => s with { Candidates = WithGaps(s.Candidates.Where(c => c.PassageNumber <= passages).ToList()) }).ToList();
    }

    private static List<LabelledSentence> WithGaps(IReadOnlyList<LabelledSentence> candidates)
    {
        var relative = SentenceFeatures.Relative(candidates.Select(c => c.Features).ToList());
        return candidates.Select((c, i) => c with { Features = relative[i] }).ToList();
    }

    /// <summary>Loads saved samples; each question's gaps to its best candidate are computed again, so samples saved before a gap was added still fit.</summary>
    public static IReadOnlyList<SentenceSample> Load(string path) =>
        SampleFile.Load<SentenceSample>(path)
            .Select(s => s with { Candidates = WithGaps(s.Candidates) }).ToList();
}

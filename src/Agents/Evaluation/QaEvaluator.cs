using System.Diagnostics;
using System.Globalization;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Retrieval.Search;

namespace KnowledgeQa.Agents.Evaluation;

/// <summary>What to evaluate.</summary>
public sealed record QaEvaluationOptions
{
    /// <summary>Evaluate only the first N questions (in file order); null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Passages retrieved per question (k of "gold answer in the top-k passages").</summary>
    public int Top { get; init; } = 5;

    /// <summary>Answer extractively even if the answerer has a chat model (the default measure).</summary>
    public bool Extractive { get; init; } = true;

    /// <summary>
    /// Contexts deliberately left out of the knowledge base (see <see cref="QaDataset.SelectHeldOutContexts"/>):
    /// their questions count as unanswerable, which measures refusals on sets that have no unanswerable questions.
    /// </summary>
    public IReadOnlySet<string> HeldOutContexts { get; init; } = new HashSet<string>();
}

/// <summary>How one question fared.</summary>
public sealed record QaQuestionResult(
    string QuestionId,
    bool Answerable,
    bool ContextRetrieved,
    bool GoldInPassages,
    bool GoldInAnswer,
    bool Refused,
    string Answer)
{
    /// <summary>The question as asked.</summary>
    public string Question { get; init; } = "";
    /// <summary>Its gold answers (empty for an unanswerable one).</summary>
    public IReadOnlyList<string> Gold { get; init; } = [];
}

/// <summary>
/// Scores of a reading-comprehension run. Shares are over answerable questions unless named
/// otherwise; <see cref="UnanswerableRefused"/> is null (n/a) when the set has no unanswerable question.
/// </summary>
public sealed record QaEvaluationReport
{
    public required string Dataset { get; init; }
    public required AnswerMode Mode { get; init; }
    public required int Top { get; init; }
    public required int Questions { get; init; }
    public required int Answerable { get; init; }
    public required int Unanswerable { get; init; }
    /// <summary>Share of answerable questions whose gold answer appears in the answer text.</summary>
    public required double GoldInAnswer { get; init; }
    /// <summary>Share of answerable questions whose gold answer appears in one of the top-k passages.</summary>
    public required double GoldInPassages { get; init; }
    /// <summary>Share of answerable questions whose own context is among the top-k passages' documents.</summary>
    public required double ContextRetrieved { get; init; }
    /// <summary>Share of answerable questions refused (false refusals).</summary>
    public required double AnswerableRefused { get; init; }
    /// <summary>Share of unanswerable questions correctly refused; null when there are none.</summary>
    public double? UnanswerableRefused { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public IReadOnlyList<QaQuestionResult> Results { get; init; } = [];

    /// <summary>One Markdown table row: data set, questions, mode, k, gold in answer, gold in top-k, context in top-k, false refusals, unanswerable refused.</summary>
    public string ToMarkdownRow() => string.Create(CultureInfo.InvariantCulture,
        $"| {Dataset} | {Questions} | {Mode.ToString().ToLowerInvariant()} | {Top} | {Percent(GoldInAnswer)} | {Percent(GoldInPassages)} | {Percent(ContextRetrieved)} | {Percent(AnswerableRefused)} | {(UnanswerableRefused is double u ? Percent(u) : "n/a")} |");

    private static string Percent(double share) => (share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    public const string MarkdownHeader =
        "| data set | questions | mode | k | gold in answer | gold in top-k | context in top-k | answerable refused | unanswerable refused |\n" +
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Dataset}: {Questions} questions ({Answerable} answerable), {Mode.ToString().ToLowerInvariant()} answers, k={Top}: " +
        $"gold in answer {Percent(GoldInAnswer)}, gold in top-{Top} passages {Percent(GoldInPassages)}, context in top-{Top} {Percent(ContextRetrieved)}, " +
        $"answerable refused {Percent(AnswerableRefused)}, unanswerable refused {(UnanswerableRefused is double u ? Percent(u) : "n/a")} " +
        $"({Elapsed.TotalSeconds:F1} s)");
}

/// <summary>
/// Measures answering on a reading-comprehension set whose contexts are already ingested, one
/// document per context with document id = context id (see <see cref="QaDataset.ToDocuments"/>).
/// For each question: is the gold answer in the top-k retrieved passages, is it in the answer,
/// was the question refused.
/// </summary>
public sealed class QaEvaluator(IKnowledgeRetriever retriever, GroundedAnswerer answerer)
{
    /// <param name="progress">Reports the number of questions done.</param>
    public async Task<QaEvaluationReport> EvaluateAsync(
        QaDataset dataset, QaEvaluationOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new QaEvaluationOptions();
        var questions = options.Limit is int limit ? dataset.Questions.Take(limit).ToList() : dataset.Questions.ToList();
        var watch = Stopwatch.StartNew();
        var results = new List<QaQuestionResult>(questions.Count);
        var mode = options.Extractive ? AnswerMode.Extractive : answerer.DefaultMode;
        foreach (var listed in questions)
        {
            var question = options.HeldOutContexts.Contains(listed.ContextId) ? listed with { Answers = [] } : listed;
            var hits = await retriever.SearchAsync(question.Question, new RetrievalOptions { Top = options.Top }, cancellationToken).ConfigureAwait(false);
            var answer = await answerer.AskAsync(
                question.Question, new AskOptions { Top = options.Top, Extractive = options.Extractive }, cancellationToken).ConfigureAwait(false);
            results.Add(new QaQuestionResult(
                question.Id,
                question.IsAnswerable,
                ContextRetrieved: hits.Any(h => h.Chunk.DocumentId == question.ContextId),
                GoldInPassages: question.IsAnswerable && hits.Any(h => AnswerNormalizer.ContainsAny(h.Chunk.Text, question.Answers)),
                GoldInAnswer: question.IsAnswerable && !answer.Refused && AnswerNormalizer.ContainsAny(answer.Text, question.Answers),
                answer.Refused,
                answer.Text) { Question = question.Question, Gold = question.Answers });
            progress?.Report(results.Count);
        }

        var answerable = results.Where(r => r.Answerable).ToList();
        var unanswerable = results.Where(r => !r.Answerable).ToList();
        return new QaEvaluationReport
        {
            Dataset = dataset.Name,
            Mode = mode,
            Top = options.Top,
            Questions = results.Count,
            Answerable = answerable.Count,
            Unanswerable = unanswerable.Count,
            GoldInAnswer = Share(answerable, r => r.GoldInAnswer),
            GoldInPassages = Share(answerable, r => r.GoldInPassages),
            ContextRetrieved = Share(answerable, r => r.ContextRetrieved),
            AnswerableRefused = Share(answerable, r => r.Refused),
            UnanswerableRefused = unanswerable.Count == 0 ? null : Share(unanswerable, r => r.Refused),
            Elapsed = watch.Elapsed,
            Results = results,
        };
    }

    private static double Share(IReadOnlyList<QaQuestionResult> results, Func<QaQuestionResult, bool> predicate) =>
        results.Count == 0 ? 0 : results.Count(predicate) / (double)results.Count;
}

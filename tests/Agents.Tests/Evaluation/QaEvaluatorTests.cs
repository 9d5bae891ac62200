using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Evaluation;
using KnowledgeQa.Agents.Tests.Chat;
using KnowledgeQa.Agents.Tests.Fakes;

namespace KnowledgeQa.Agents.Tests.Evaluation;

public class QaEvaluatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string WriteDataset(string directory)
    {
        File.WriteAllLines(Path.Combine(directory, "contexts.jsonl"),
        [
            """{"id": "tower#0", "article_id": "tower", "title": "Eiffel Tower", "text": "The Eiffel Tower stands in Paris. It was completed in 1889 for the World's Fair. Gustave Eiffel's company built the tower."}""",
            """{"id": "bridge#0", "article_id": "bridge", "title": "Golden Gate", "text": "The Golden Gate Bridge spans the strait. The bridge opened to traffic in 1937 after four years of work."}""",
        ]);
        File.WriteAllLines(Path.Combine(directory, "questions.jsonl"),
        [
            """{"id": "q1", "question": "When was the Eiffel Tower completed?", "context_id": "tower#0", "answers": [{"text": "1889", "answer_start": 50}]}""",
            """{"id": "q2", "question": "When did the Golden Gate Bridge open to traffic?", "context_id": "bridge#0", "answers": [{"text": "in 1937", "answer_start": 0}, {"text": "１９３７", "answer_start": 0}]}""",
            """{"id": "q3", "question": "Whose company built the Eiffel Tower?", "context_id": "tower#0", "answers": [{"text": "Gustave Eiffel's", "answer_start": 0}]}""",
            """{"id": "q4", "question": "What colour are submarine periscopes?", "context_id": "bridge#0", "answers": [], "is_impossible": true}""",
        ]);
        return directory;
    }

    [Fact]
    public async Task Scores_answers_passages_and_refusals_on_a_small_set()
    {
        using var temp = new TempDirectory();
        var dataset = QaDataset.Load(WriteDataset(temp.Path));
        var retriever = new OverlapRetriever(dataset.ToDocuments());
        var evaluator = new QaEvaluator(retriever, new GroundedAnswerer(retriever, null, new SimpleLexicalEncoder()));
        var progress = new List<int>();

        var report = await evaluator.EvaluateAsync(dataset, new QaEvaluationOptions { Top = 1 }, new SynchronousProgress(progress), Ct);

        Assert.Equal(4, report.Questions);
        Assert.Equal(3, report.Answerable);
        Assert.Equal(1, report.Unanswerable);
        Assert.Equal(AnswerMode.Extractive, report.Mode);
        Assert.Equal(1.0, report.ContextRetrieved);
        Assert.Equal(1.0, report.GoldInPassages);
        Assert.Equal(1.0, report.GoldInAnswer);
        Assert.Equal(0.0, report.AnswerableRefused);
        Assert.Equal(1.0, report.UnanswerableRefused);
        Assert.Equal([1, 2, 3, 4], progress);
        Assert.Contains("1889", report.Results.Single(r => r.QuestionId == "q1").Answer);
        Assert.Contains("| 100.0% |", report.ToMarkdownRow());
    }

    [Fact]
    public async Task The_limit_takes_the_first_questions_and_a_set_without_unanswerable_questions_reports_na()
    {
        using var temp = new TempDirectory();
        var dataset = QaDataset.Load(WriteDataset(temp.Path));
        var retriever = new OverlapRetriever(dataset.ToDocuments());
        var evaluator = new QaEvaluator(retriever, new GroundedAnswerer(retriever, null, new SimpleLexicalEncoder()));

        var report = await evaluator.EvaluateAsync(dataset, new QaEvaluationOptions { Limit = 2 }, cancellationToken: Ct);

        Assert.Equal(["q1", "q2"], report.Results.Select(r => r.QuestionId));
        Assert.Null(report.UnanswerableRefused);
        Assert.Contains("n/a", report.ToString());
    }

    [Fact]
    public async Task A_wrong_answer_is_not_counted()
    {
        using var temp = new TempDirectory();
        var dataset = QaDataset.Load(WriteDataset(temp.Path));
        // A retriever that always returns the bridge: the tower questions get no gold passage and no gold answer.
        var bridgeOnly = new OverlapRetriever(dataset.ToDocuments().Where(d => d.Id == "bridge#0"));
        var evaluator = new QaEvaluator(bridgeOnly, new GroundedAnswerer(bridgeOnly, null, new SimpleLexicalEncoder()));

        var report = await evaluator.EvaluateAsync(dataset, new QaEvaluationOptions { Limit = 3 }, cancellationToken: Ct);

        Assert.Equal(1.0 / 3, report.GoldInAnswer, 6);
        Assert.Equal(1.0 / 3, report.ContextRetrieved, 6);
        Assert.False(report.Results.Single(r => r.QuestionId == "q1").GoldInPassages);
    }

    [Fact]
    public async Task Questions_of_held_out_contexts_count_as_unanswerable()
    {
        using var temp = new TempDirectory();
        var dataset = QaDataset.Load(WriteDataset(temp.Path));
        var heldOut = dataset.SelectHeldOutContexts(every: 2);
        var retriever = new OverlapRetriever(dataset.ToDocuments(except: heldOut));
        var evaluator = new QaEvaluator(retriever, new GroundedAnswerer(retriever, null, new SimpleLexicalEncoder()));

        var report = await evaluator.EvaluateAsync(dataset, new QaEvaluationOptions { HeldOutContexts = heldOut }, cancellationToken: Ct);

        Assert.Equal(["bridge#0"], heldOut);
        Assert.Equal(2, report.Answerable);
        Assert.Equal(2, report.Unanswerable);
        Assert.Equal(1.0, report.UnanswerableRefused);
        Assert.Equal(1.0, report.GoldInAnswer);
    }

    [Fact]
    public void Missing_files_and_dangling_context_ids_are_named()
    {
        using var temp = new TempDirectory();
        var missing = Assert.Throws<EvaluationDataException>(() => QaDataset.Load(temp.Path));
        Assert.Contains("contexts.jsonl", missing.Message);

        WriteDataset(temp.Path);
        File.AppendAllText(Path.Combine(temp.Path, "questions.jsonl"), """{"id": "q5", "question": "?", "context_id": "nowhere", "answers": []}""" + "\n");
        var dangling = Assert.Throws<EvaluationDataException>(() => QaDataset.Load(temp.Path));
        Assert.Contains("questions.jsonl:5", dangling.Message);
        Assert.Contains("nowhere", dangling.Message);
    }

    [Theory]
    [InlineData("It opened in 1937. [2]", "in 1937", true)]
    [InlineData("The Denver  Broncos.", "denver broncos", true)]
    [InlineData("於１９８９年完工［1］。", "1989年", true)]
    [InlineData("光荣和ω-force开发", "光荣和ω force", true)]
    [InlineData("completed in 18[1]89", "1889", true)]
    [InlineData("It opened in 1938.", "1937", false)]
    [InlineData("anything", "", false)]
    public void Answers_match_after_normalising_case_width_spaces_punctuation_and_citations(string text, string gold, bool expected)
    {
        Assert.Equal(expected, AnswerNormalizer.ContainsAny(text, [gold]));
    }

    private sealed class SynchronousProgress(List<int> values) : IProgress<int>
    {
        public void Report(int value) => values.Add(value);
    }
}

using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Evaluation;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Search;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Plugins.Tests.Answers;

/// <summary>
/// The answer test set over samples/docs (the README's own knowledge base): answerable and
/// unanswerable questions in English, Traditional and Simplified Chinese, the README's examples
/// among them, answered extractively (no chat model) over the real embedding model and a real
/// SQLite store, as a new user first sees it.
/// </summary>
public sealed class SampleAnswerSetTests(SampleAnswerSetTests.SampleKnowledgeBase kb) : IClassFixture<SampleAnswerSetTests.SampleKnowledgeBase>
{
    public sealed class SampleKnowledgeBase : IAsyncLifetime
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "kqa-sample-answers-" + Guid.NewGuid().ToString("N"));

        public ServiceProvider Services { get; private set; } = null!;

        public GroundedAnswerer Answerer => Services.GetRequiredService<GroundedAnswerer>();

        public async ValueTask InitializeAsync()
        {
            var services = new ServiceCollection();
            services.AddKnowledgeQa(o => o.DataDirectory = _directory);
            Services = services.BuildServiceProvider();
            var summary = await Services.GetRequiredService<IngestionPipeline>().IngestAsync([SamplesFolder()]);
            Assert.Equal(6, summary.Added);
        }

        public async ValueTask DisposeAsync()
        {
            await Services.DisposeAsync();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // SQLite's pooled connection may still hold the file; the OS temp cleaner gets it.
            }
        }

        private static string SamplesFolder()
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "KnowledgeQa.sln")))
                    return Path.Combine(folder.FullName, "samples", "docs");
            }

            throw new DirectoryNotFoundException("samples/docs: no KnowledgeQa.sln above " + AppContext.BaseDirectory);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Question, then the text the answer must hold (any of them, after normalising case, width and punctuation).</summary>
    public static TheoryData<string, string[]> Answerable => new(SampleAnswerSet.Answerable.Select(q => (q.Question, q.Expected.ToArray())));

    public static TheoryData<string> Unanswerable => new(SampleAnswerSet.Unanswerable);

    [Theory]
    [InlineData("電池要充多久")]
    [InlineData("电池要充多久")]
    public async Task How_long_to_charge_opens_with_the_charging_sentence_not_the_storage_condition(string question)
    {
        // The storage sentence (如果超過一個月不騎車，請把電池充到...) holds 電池 and 充 and a month, but the month is
        // the condition it applies on; the charging sentence states how long a charge takes.
        var answer = await kb.Answerer.AskAsync(question, cancellationToken: Ct);

        Assert.StartsWith("從沒電充到全滿大約需要四個半小時。", answer.Text);
    }

    [Theory]
    [MemberData(nameof(Answerable))]
    public async Task An_answerable_question_is_answered_with_the_sentence_that_answers_it(string question, string[] expected)
    {
        var answer = await kb.Answerer.AskAsync(question, cancellationToken: Ct);

        Assert.False(answer.Refused, $"refused: {question}");
        Assert.True(answer.Grounded);
        Assert.True(AnswerNormalizer.ContainsAny(answer.Text, expected), $"{question} → {answer.Text}");
        Assert.NotEmpty(answer.Citations);
        // Sources are numbered in the order the answer cites them: its first marker is [1], whichever passage of
        // the search that is, and each number names the passage it stands for.
        Assert.Equal(1, CitationParser.Parse(answer.Text, answer.Passages.Count)[0]);
        Assert.Equal(Enumerable.Range(1, answer.Citations.Count), answer.Citations.Select(c => c.Number));
        Assert.All(answer.Citations, c => Assert.Equal(answer.Passages[c.Number - 1].Chunk.DocumentId, c.DocumentId));
    }

    [Theory]
    [MemberData(nameof(Unanswerable))]
    public async Task A_question_the_documents_never_answer_is_refused(string question)
    {
        var answer = await kb.Answerer.AskAsync(question, cancellationToken: Ct);

        Assert.True(answer.Refused, $"{question} → {answer.Text}");
        Assert.Equal(RefusalReason.NoRelevantPassage, answer.RefusalReason);
        Assert.Empty(answer.Citations);
    }

    [Fact]
    public async Task The_check_fit_relevance_runs_before_writing_passes_the_shipped_models_and_catches_a_model_that_refuses_everything()
    {
        Assert.Empty(await SampleAnswerSet.CheckAsync(kb.Answerer, Ct));

        var options = new AnswerOptions
        {
            DenseRelevance = RelevanceModel.WithDense with { Threshold = 1.01 },
            LexicalRelevance = RelevanceModel.LexicalOnly with { Threshold = 1.01, SimplifiedThreshold = 1.01 },
        };
        var refusing = new GroundedAnswerer(
            kb.Services.GetRequiredService<IKnowledgeRetriever>(), chatClient: null, kb.Services.GetRequiredService<ILexicalEncoder>(), options);
        var failures = await SampleAnswerSet.CheckAsync(refusing, Ct);

        Assert.Equal(SampleAnswerSet.Answerable.Select(q => q.Question), failures.Select(f => f.Question));
        Assert.All(failures, f => Assert.Equal("(refused)", f.Got));
    }

    [Fact]
    public async Task A_table_row_is_answered_as_a_row_with_its_header_never_the_header_alone()
    {
        var answer = await kb.Answerer.AskAsync("What does error E07 mean?", cancellationToken: Ct);

        Assert.StartsWith("E07: Motor overheated; What to do: Stop for 15 minutes", answer.Text);
        Assert.DoesNotContain("Code | Meaning", answer.Text);
        Assert.DoesNotContain("E03", answer.Text);
    }

    [Fact]
    public async Task Citation_highlights_mark_the_sentences_the_answer_used()
    {
        var answer = await kb.Answerer.AskAsync("How long does a full charge take?", cancellationToken: Ct);

        var citation = Assert.Single(answer.Citations);
        Assert.NotEmpty(citation.Highlights);
        var marked = citation.Highlights.Select(h => citation.Text.Substring(h.Start, h.Length)).ToList();
        Assert.Contains(marked, m => m.Contains("A full charge from empty takes about 4.5 hours", StringComparison.Ordinal));
        Assert.DoesNotContain(marked, m => m.Contains("Charge between 10 °C", StringComparison.Ordinal));
        // The same ranges reach the JSON every surface returns.
        Assert.Equal(citation.Highlights, AnswerResult.From(answer).Citations.Single().Highlights);
    }

    [Fact]
    public async Task A_follow_up_keeps_its_own_topic_and_the_thing_discussed()
    {
        var session = new ConversationSession(kb.Answerer, chatClient: null, kb.Services.GetRequiredService<ILexicalEncoder>());

        var first = await session.AskAsync("How long does a full charge take?", cancellationToken: Ct);
        var followUp = await session.AskAsync("What about the warranty on it?", cancellationToken: Ct);

        Assert.Contains("4.5 hours", first.Text);
        // About the warranty of the battery just discussed, not the charging sentence again.
        Assert.StartsWith("The battery is covered for 2 years or 800 full charge cycles", followUp.Text);
        Assert.Contains("warranty", session.Turns[^1].StandaloneQuestion);
        Assert.NotEqual("What about the warranty on it?", session.Turns[^1].StandaloneQuestion);
    }

    [Fact]
    public async Task The_explanation_shows_each_passage_its_ranks_and_the_decision_and_is_off_by_default()
    {
        var plain = await kb.Answerer.AskAsync("Who won the 2018 World Cup?", cancellationToken: Ct);
        Assert.Null(plain.Explanation);

        var refused = await kb.Answerer.AskAsync("Who won the 2018 World Cup?", new AskOptions { Explain = true }, Ct);
        var explanation = refused.Explanation;
        Assert.NotNull(explanation);
        Assert.NotEmpty(explanation.Passages);
        Assert.All(explanation.Passages, p =>
        {
            Assert.False(p.Relevant);
            Assert.StartsWith("not relevant", p.Reason);
        });
        Assert.Empty(explanation.Sentences);

        var answered = await kb.Answerer.AskAsync("What is the battery warranty?", new AskOptions { Explain = true }, Ct);
        var passages = answered.Explanation!.Passages;
        var chosen = Assert.Single(passages, p => p.Number == 1);
        Assert.True(chosen.Relevant);
        Assert.Equal("docs/en/warranty.txt", chosen.DocumentId);
        Assert.True(chosen.DenseRank is not null || chosen.LexicalRank is not null);
        Assert.Contains(answered.Explanation.Sentences, s => s.Text.Contains("800 full charge cycles", StringComparison.Ordinal));
    }
}

using System.Diagnostics;
using System.Text;
using OpenAI.Chat;
using OpenTelemetry.Metrics;

namespace KnowledgeQa.Server.Tests.OpenAi;

/// <summary>
/// kqa serve's OpenTelemetry set-up with in-memory exporters: the spans of an ask, a chat and an
/// upload nest as they should and carry their attributes, and the metrics move.
/// </summary>
[Collection(ObservedServerCollection.Name)]
public sealed class TelemetryTests(ExtractiveServer server) : IClassFixture<ExtractiveServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_spans_of_an_ask_nest_from_the_http_request_down_to_each_search_step()
    {
        var spans = await server.AskTracedAsync("How many years does the warranty cover?");
        Activity Only(Func<Activity, bool> match) => Assert.Single(spans, s => match(s));
        var request = Only(s => s.Kind == ActivityKind.Server);
        var answer = Only(s => s.OperationName == "answer");
        var search = Only(s => s.OperationName == "search");
        // The query embedding is the search's; the extractive answer embeds candidate sentences too, under the answer.
        var embeddings = spans.Where(s => s.GetTagItem("gen_ai.operation.name") as string == "embeddings").ToList();
        var embedding = Assert.Single(embeddings, s => s.ParentSpanId == search.SpanId);
        Assert.All(embeddings.Where(s => s != embedding), s => Assert.Equal(answer.SpanId, s.ParentSpanId));
        var dense = Only(s => s.OperationName == "search.dense");
        var lexical = Only(s => s.OperationName == "search.lexical");
        var fusion = Only(s => s.OperationName == "search.fusion");

        Assert.Equal("POST /v1/ask", request.DisplayName);
        Assert.Equal(200, request.GetTagItem("http.response.status_code"));
        Assert.Equal(request.SpanId, answer.ParentSpanId);
        Assert.Equal(answer.SpanId, search.ParentSpanId);
        Assert.All([embedding, dense, lexical, fusion], s => Assert.Equal(search.SpanId, s.ParentSpanId));
        // The steps of a search run in order: the query embedding, then dense and lexical, then fusion.
        Assert.True(embedding.StartTimeUtc <= dense.StartTimeUtc && dense.StartTimeUtc <= fusion.StartTimeUtc && lexical.StartTimeUtc <= fusion.StartTimeUtc);

        Assert.Equal("Extractive", answer.GetTagItem("kqa.mode"));
        Assert.Equal(false, answer.GetTagItem("kqa.answer.refused"));
        Assert.Equal(true, answer.GetTagItem("kqa.answer.grounded"));
        Assert.Equal(1, answer.GetTagItem("kqa.answer.citations"));
        Assert.Equal("Hybrid", search.GetTagItem("kqa.mode"));
        Assert.True((int)search.GetTagItem("kqa.hits")! >= 1);
        Assert.True((int)fusion.GetTagItem("kqa.lexical_candidates")! >= 1);
        Assert.StartsWith("embeddings", embedding.DisplayName);
        Assert.NotNull(embedding.GetTagItem("gen_ai.request.model"));
    }

    [Fact]
    public async Task A_chat_completion_has_a_chat_span_with_the_rewrite_and_the_answer_below_it()
    {
        Activity test;
        using (test = ObservedServer.TestSource.StartActivity("chat test")!)
        {
            await server.ChatClient().CompleteChatAsync(
            [
                new UserChatMessage("Which charger does the battery use?"),
                new AssistantChatMessage("A full charge of the battery takes 4.5 hours with the supplied charger. [1]"),
                new UserChatMessage("How long does that take?"),
            ], cancellationToken: Ct);
        }

        var spans = await server.SpansOfAsync(test.TraceId, "POST /v1/chat/completions");
        var request = Assert.Single(spans, s => s.Kind == ActivityKind.Server);
        var chat = Assert.Single(spans, s => s.OperationName == "chat" && s.Source.Name == "KnowledgeQa.Server");
        var rewrite = Assert.Single(spans, s => s.OperationName == "rewrite");
        var answer = Assert.Single(spans, s => s.OperationName == "answer");
        Assert.Equal(request.SpanId, chat.ParentSpanId);
        Assert.Equal(chat.SpanId, rewrite.ParentSpanId);
        Assert.Equal(chat.SpanId, answer.ParentSpanId);
        Assert.True(rewrite.StartTimeUtc <= answer.StartTimeUtc);
        Assert.Equal("knowledge-base", chat.GetTagItem("kqa.chat.model"));
        Assert.Equal(1, chat.GetTagItem("kqa.chat.earlier_turns"));
        Assert.Equal(true, chat.GetTagItem("kqa.chat.rewritten"));
    }

    [Fact]
    public async Task An_upload_has_a_span_per_document_below_the_ingest_run()
    {
        var spans = await server.SpansOfAsync(server.UploadTrace, "POST /v1/documents");
        var ingest = Assert.Single(spans, s => s.OperationName == "ingest");
        var documents = spans.Where(s => s.OperationName == "ingest.document").ToList();
        var writes = spans.Where(s => s.OperationName == "store.write").ToList();

        Assert.Equal(["upload/battery.md", "upload/warranty.md"], documents.Select(d => d.GetTagItem("kqa.document.id") as string).Order());
        Assert.Equal(["upload/battery.md", "upload/warranty.md"], writes.Select(d => d.GetTagItem("kqa.document.id") as string).Order());
        Assert.All(documents.Concat(writes), s => Assert.Equal(ingest.SpanId, s.ParentSpanId));
        Assert.All(writes, w => Assert.Equal("added", w.GetTagItem("kqa.ingest.outcome")));
        Assert.All(writes, w => Assert.True((int)w.GetTagItem("kqa.chunks")! >= 1));
        // The scheduler may embed the two documents in one batch or two (a small document is not held back):
        // either way the batches embed every chunk written (the two texts share none), each below the run.
        var batches = spans.Where(s => s.OperationName == "embed").ToList();
        Assert.NotEmpty(batches);
        Assert.All(batches, b => Assert.Equal(ingest.SpanId, b.ParentSpanId));
        Assert.Equal(writes.Sum(w => (int)w.GetTagItem("kqa.chunks")!), batches.Sum(b => (int)b.GetTagItem("kqa.chunks")!));
        Assert.Equal(batches.Count == 1 ? 2 : 1, batches.Max(b => (int)b.GetTagItem("kqa.documents")!));
        // The embedding model's own GenAI span sits below each batch.
        Assert.All(batches, b => Assert.Contains(spans, s => s.ParentSpanId == b.SpanId && s.GetTagItem("gen_ai.operation.name") as string == "embeddings"));
    }

    [Fact]
    public async Task The_metrics_move_with_uploads_searches_answers_and_refusals()
    {
        using (var client = server.CreateClient())
        {
            foreach (var question in new[] { "How many years does the warranty cover?", "Which ferries sail to the island on Sundays?" })
            {
                using var response = await client.PostAsync("/v1/ask",
                    new StringContent($$"""{"question": "{{question}}"}""", Encoding.UTF8, "application/json"), Ct);
                response.EnsureSuccessStatusCode();
            }
        }

        static long SumOf(IReadOnlyDictionary<string, MetricSnapshot> metrics, string name, string? tag = null, string? value = null) =>
            !metrics.TryGetValue(name, out var metric) ? 0 : Points(metric)
                .Where(p => tag is null || TinyModelChatTests.Tag(p, tag) == value)
                .Sum(p => metric.MetricType == MetricType.LongSum ? p.GetSumLong() : p.GetHistogramCount());
        // The upload and both asks: the last one's request duration is recorded just after its response.
        var metrics = await server.CollectMetricsAsync(m => SumOf(m, "http.server.request.duration") >= 3);
        long Sum(string name, string? tag = null, string? value = null) => SumOf(metrics, name, tag, value);

        Assert.True(Sum("kqa.ingest.documents", "kqa.ingest.outcome", "added") >= 2);
        Assert.True(Sum("kqa.ingest.chunks") >= 2);
        Assert.True(Sum("kqa.embedding.chunks") >= 2);
        Assert.True(Sum("kqa.embedding.throughput") >= 1);
        Assert.True(Points(metrics["kqa.embedding.throughput"]).Sum(p => p.GetHistogramSum()) > 0);
        Assert.True(Sum("kqa.search.duration", "kqa.search.mode", "hybrid") >= 2);
        Assert.True(Sum("kqa.answer.duration", "kqa.answer.refused", "True") >= 1);
        Assert.True(Sum("kqa.answer.duration", "kqa.answer.refused", "False") >= 1);
        Assert.True(Sum("kqa.answer.refusals", "kqa.answer.mode", "extractive") >= 1);
        Assert.True(Sum("gen_ai.client.operation.duration", "gen_ai.operation.name", "embeddings") >= 1);
        Assert.True(Sum("http.server.request.duration") >= 3);
    }

    private static IEnumerable<MetricPoint> Points(MetricSnapshot metric)
    {
        foreach (var point in metric.MetricPoints)
            yield return point;
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace KnowledgeQa.Server.Tests;

/// <summary>The HTTP API end to end: real Kestrel on loopback, real store, real embedding model.</summary>
public sealed class HttpApiTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public void Upload_ingests_the_good_files_and_reports_the_bad_one_in_failed()
    {
        Assert.Equal(HttpStatusCode.MultiStatus, server.FirstUpload.StatusCode);
        var report = JsonDocument.Parse(server.FirstUploadBody).RootElement;
        Assert.Equal(2, report.GetProperty("added").GetInt32());
        var failed = Assert.Single(report.GetProperty("failed").EnumerateArray());
        Assert.Equal("broken.bin", failed.GetProperty("path").GetString());
        Assert.Contains("binary", failed.GetProperty("reason").GetString());
        Assert.Equal(["upload/battery.md", "upload/warranty.md"],
            report.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("documentId").GetString()).Order());
    }

    [Fact]
    public async Task Search_returns_the_passage_in_the_search_json_shape()
    {
        using var client = server.CreateClient();
        var response = await client.PostAsync("/v1/search", JsonBody("""{"query": "How long does a full charge take?", "top": 2, "mode": "hybrid", "tags": ["manual"]}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hits = (await JsonOf(response)).EnumerateArray().ToList();
        Assert.InRange(hits.Count, 1, 2);
        Assert.Equal("upload/battery.md", hits[0].GetProperty("documentId").GetString());
        Assert.Contains("4.5 hours", hits[0].GetProperty("text").GetString());
        Assert.True(hits[0].GetProperty("score").GetDouble() > 0);
        Assert.Equal(["Battery"], hits[0].GetProperty("headings").EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task Ask_answers_with_a_citation()
    {
        using var client = server.CreateClient();
        var response = await client.PostAsync("/v1/ask", JsonBody("""{"question": "How many years does the warranty cover?"}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await JsonOf(response);
        Assert.True(answer.GetProperty("grounded").GetBoolean());
        Assert.Contains("two years", answer.GetProperty("answer").GetString());
        Assert.Equal("upload/warranty.md", answer.GetProperty("citations")[0].GetProperty("documentId").GetString());
    }

    [Fact]
    public async Task Ask_streams_text_events_then_the_final_answer_when_the_client_accepts_event_streams()
    {
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/ask") { Content = JsonBody("""{"question": "How long does a full charge take?"}""") };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = ParseEvents(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(events.Count >= 2);
        Assert.All(events[..^1], e => Assert.Equal("delta", e.Name));
        var streamed = string.Concat(events[..^1].Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("text").GetString()));
        Assert.Equal("answer", events[^1].Name);
        var final = JsonDocument.Parse(events[^1].Data).RootElement;
        Assert.Equal(final.GetProperty("answer").GetString(), streamed);
        Assert.Contains("4.5 hours", streamed);
    }

    private static List<(string Name, string Data)> ParseEvents(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (
                lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..],
                lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]))
            .ToList();

    [Fact]
    public async Task Classify_returns_the_label_and_a_score_per_label()
    {
        using var client = server.CreateClient();
        var response = await client.PostAsync("/v1/classify",
            JsonBody("""{"text": "My invoice charged me twice, I want a refund", "labels": ["billing=invoices, payments and refunds", "shipping=delivery and parcels"]}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await JsonOf(response);
        Assert.Equal("billing", result.GetProperty("label").GetString());
        var scores = result.GetProperty("scores").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(["billing", "shipping"], scores.Keys.Order());
        Assert.Equal(1.0, scores.Values.Sum(), 3);
    }

    [Fact]
    public async Task Documents_are_listed_and_deleted_and_a_missing_one_is_404()
    {
        using var client = server.CreateClient();
        var upload = await client.PostAsync("/v1/documents", RunningServer.Upload(("temporary.txt", Encoding.UTF8.GetBytes("A temporary note about ferries."))), Ct);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);

        var listed = (await JsonOf(await client.GetAsync("/v1/documents", Ct))).EnumerateArray().ToList();
        var temporary = Assert.Single(listed, d => d.GetProperty("documentId").GetString() == "upload/temporary.txt");
        Assert.Equal(["manual"], temporary.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/v1/documents/upload/temporary.txt", Ct)).StatusCode);
        var missing = await client.DeleteAsync("/v1/documents/upload/temporary.txt", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("temporary.txt", (await JsonOf(missing)).GetProperty("error").GetString());
        Assert.DoesNotContain(
            (await JsonOf(await client.GetAsync("/v1/documents", Ct))).EnumerateArray(),
            d => d.GetProperty("documentId").GetString() == "upload/temporary.txt");
    }

    [Fact]
    public async Task A_document_id_with_spaces_and_non_ascii_characters_is_deleted_by_its_escaped_path()
    {
        using var client = server.CreateClient();
        var upload = await client.PostAsync("/v1/documents", RunningServer.Upload(("Garantie été 2.md", Encoding.UTF8.GetBytes("Une note sur la garantie des ferries."))), Ct);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);

        var deleted = await client.DeleteAsync("/v1/documents/upload/" + Uri.EscapeDataString("Garantie été 2.md"), Ct);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("upload/Garantie été 2.md", (await JsonOf(deleted)).GetProperty("deleted").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Every_api_endpoint_needs_the_key(string? key)
    {
        using var client = server.CreateClient(key);
        var responses = new[]
        {
            await client.GetAsync("/v1/documents", Ct),
            await client.PostAsync("/v1/search", JsonBody("""{"query": "charge"}"""), Ct),
            await client.PostAsync("/v1/ask", JsonBody("""{"question": "charge?"}"""), Ct),
            await client.DeleteAsync("/v1/documents/battery.md", Ct),
            await client.GetAsync("/openapi/v1.json", Ct),
            await client.PostAsync("/mcp", JsonBody("""{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"""), Ct),
        };
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Contains("Bearer", (await JsonOf(responses[0])).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Health_check_needs_no_key()
    {
        using var client = server.CreateClient(apiKey: null);
        // 503 "starting" until the warm-up has loaded the models (ReadinessTests), then 200 "ok".
        var response = await client.GetAsync("/healthz", Ct);
        while (response.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            Assert.Equal("starting", (await JsonOf(response)).GetProperty("status").GetString());
            await Task.Delay(100, Ct);
            response = await client.GetAsync("/healthz", Ct);
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await JsonOf(response)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/v1/search", """{"top": 3}""", "query")]
    [InlineData("/v1/search", """{"query": "   "}""", "query")]
    [InlineData("/v1/search", """{"query": "charge", "top": 0}""", "top")]
    [InlineData("/v1/search", """{"query": "charge", "top": 51}""", "top")]
    [InlineData("/v1/search", """{"query": "charge", "mode": "fuzzy"}""", "fuzzy")]
    [InlineData("/v1/search", """{"query": "charge",""", "JSON")]
    [InlineData("/v1/ask", """{"question": ""}""", "question")]
    [InlineData("/v1/ask", """["not", "an", "object"]""", "JSON")]
    [InlineData("/v1/classify", """{"text": "hello", "labels": ["only-one"]}""", "labels")]
    [InlineData("/v1/classify", """{"labels": ["a", "b"]}""", "text")]
    public async Task Bad_input_is_a_400_with_a_message(string path, string body, string expectedInMessage)
    {
        using var client = server.CreateClient();
        var response = await client.PostAsync(path, JsonBody(body), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expectedInMessage, (await JsonOf(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_json_body_over_the_limit_is_a_413()
    {
        using var client = server.CreateClient();
        var huge = JsonSerializer.Serialize(new { query = new string('x', 300 * 1024) });
        var response = await client.PostAsync("/v1/search", JsonBody(huge), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("limit", (await JsonOf(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Upload_without_files_is_a_400()
    {
        using var client = server.CreateClient();
        var form = new MultipartFormDataContent { { new StringContent("manual"), "tag" } };
        var response = await client.PostAsync("/v1/documents", form, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_endpoints()
    {
        using var client = server.CreateClient();
        var document = await JsonOf(await client.GetAsync("/openapi/v1.json", Ct));

        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/v1/search", "/v1/ask", "/v1/documents", "/v1/documents/{id}", "/v1/classify" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
    }

    [Fact]
    public async Task Mcp_over_http_lists_the_tools_and_searches_with_the_key()
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.BaseAddress, "/mcp"),
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + RunningServer.ApiKey },
        }), cancellationToken: Ct);

        var tools = await client.ListToolsAsync(cancellationToken: Ct);
        Assert.Contains("ask", tools.Select(t => t.Name));
        var result = await client.CallToolAsync("search", new Dictionary<string, object?> { ["query"] = "warranty years" }, cancellationToken: Ct);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Equal("upload/warranty.md", JsonDocument.Parse(text).RootElement[0].GetProperty("documentId").GetString());
    }
}

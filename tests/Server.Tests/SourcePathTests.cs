using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace KnowledgeQa.Server.Tests;

/// <summary>
/// A folder ingested on the server stores absolute paths as sources; the API shows them relative to
/// that folder by default (Server:SourcePaths), and in full only when configured so.
/// </summary>
public sealed class SourcePathTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task By_default_no_result_shows_the_servers_absolute_path()
    {
        using var folder = new TempFolder();
        await using var app = await StartWithIngestedFolderAsync(folder, new ServerSettings { Urls = ["http://127.0.0.1:0"], ApiKey = "k" });
        using var client = Client(app);

        var documents = await GetJsonAsync(await client.GetAsync("/v1/documents", Ct));
        var detail = await GetJsonAsync(await client.GetAsync("/v1/documents/docs/manual/battery.md", Ct));
        var hits = await GetJsonAsync(await client.PostAsJsonAsync("/v1/search", new { query = "How long does a full charge take?" }, Ct));
        var answer = await GetJsonAsync(await client.PostAsJsonAsync("/v1/ask", new { question = "How long does a full charge take?" }, Ct));
        await using var mcp = await McpAsync(app);
        var tool = await mcp.CallToolAsync("search", new Dictionary<string, object?> { ["query"] = "full charge" }, cancellationToken: Ct);
        var listed = await mcp.CallToolAsync("list_documents", new Dictionary<string, object?>(), cancellationToken: Ct);

        Assert.Equal("docs/manual/battery.md", documents.EnumerateArray().Single().GetProperty("source").GetString());
        Assert.Equal("docs/manual/battery.md", detail.GetProperty("document").GetProperty("source").GetString());
        Assert.Equal("docs/manual/battery.md", hits[0].GetProperty("source").GetString());
        Assert.Equal("docs/manual/battery.md", answer.GetProperty("citations")[0].GetProperty("source").GetString());
        foreach (var text in new[] { documents.GetRawText(), detail.GetRawText(), hits.GetRawText(), answer.GetRawText(), Text(tool), Text(listed) })
            Assert.DoesNotContain(folder.Path, text);
        Assert.Contains("docs/manual/battery.md", Text(tool));
    }

    [Fact]
    public async Task With_full_source_paths_configured_the_absolute_path_is_shown()
    {
        using var folder = new TempFolder();
        await using var app = await StartWithIngestedFolderAsync(folder,
            new ServerSettings { Urls = ["http://127.0.0.1:0"], ApiKey = "k", SourcePaths = SourcePathDisplay.Full });
        using var client = Client(app);

        var documents = await GetJsonAsync(await client.GetAsync("/v1/documents", Ct));

        Assert.Equal(Path.Combine(folder.Path, "docs", "manual", "battery.md"), documents.EnumerateArray().Single().GetProperty("source").GetString());
    }

    private static async Task<WebApplication> StartWithIngestedFolderAsync(TempFolder folder, ServerSettings settings)
    {
        var docs = Directory.CreateDirectory(Path.Combine(folder.Path, "docs", "manual")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "battery.md"), TestDocuments.BatteryText, Ct);
        var app = KqaServer.Build(settings,
            services => services.AddKnowledgeQa(options => options.DataDirectory = Path.Combine(folder.Path, "kb")),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        // As `kqa ingest` on the server machine does it: the sources are the files' absolute paths.
        var summary = await app.Services.GetRequiredService<IngestionPipeline>().IngestAsync([Path.Combine(folder.Path, "docs")], new IngestionOptions(), null, Ct);
        Assert.Equal(1, summary.Added);
        await app.StartAsync(Ct);
        return app;
    }

    private static HttpClient Client(WebApplication app)
    {
        var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(app).Single()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k");
        return client;
    }

    private static Task<McpClient> McpAsync(WebApplication app) => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(new Uri(KqaServer.Addresses(app).Single()), "/mcp"),
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer k" },
    }), cancellationToken: Ct);

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    private static async Task<JsonElement> GetJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
}

using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// The real `kqa mcp` process over stdio, driven by the MCP C# client: any stray line on stdout
/// would break the protocol, so these tests also guard "logs go to stderr".
/// </summary>
public sealed class McpStdioTests(McpStdioTests.McpServerProcess server) : IClassFixture<McpStdioTests.McpServerProcess>
{
    public sealed class McpServerProcess : IAsyncLifetime
    {
        public TempFolder Folder { get; } = new();
        public McpClient Client { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            var docs = Directory.CreateDirectory(Path.Combine(Folder.Path, "docs")).FullName;
            await File.WriteAllTextAsync(Path.Combine(docs, "battery.md"), TestDocuments.BatteryText);
            await File.WriteAllTextAsync(Path.Combine(docs, "warranty.md"), TestDocuments.WarrantyText);
            var data = Path.Combine(Folder.Path, "kb");
            var ingest = await KqaProcess.RunAsync(Folder.Path, "--data", data, "ingest", docs, "--json");
            Assert.Equal(0, ingest.ExitCode);

            var transport = new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = "kqa",
                Command = "dotnet",
                Arguments = [Path.Combine(AppContext.BaseDirectory, "kqa.dll"), "mcp", "--data", data],
                WorkingDirectory = Folder.Path,
            });
            Client = await McpClient.CreateAsync(transport, cancellationToken: TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            Folder.Dispose();
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonElement Content(CallToolResult result)
    {
        Assert.NotEqual(true, result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task Lists_the_knowledge_tools_with_their_parameters()
    {
        var tools = await server.Client.ListToolsAsync(cancellationToken: Ct);

        Assert.Superset(new HashSet<string> { "search", "ask", "list_documents", "classify", "sentiment" }, tools.Select(t => t.Name).ToHashSet());
        var search = tools.Single(t => t.Name == "search");
        Assert.True(search.JsonSchema.GetProperty("properties").TryGetProperty("query", out _));
        Assert.Contains("query", search.JsonSchema.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Search_tool_returns_search_results()
    {
        var result = await server.Client.CallToolAsync("search",
            new Dictionary<string, object?> { ["query"] = "How long does a full charge take?", ["top"] = 2 }, cancellationToken: Ct);

        var hits = Content(result).EnumerateArray().ToList();
        Assert.Equal("docs/battery.md", hits[0].GetProperty("documentId").GetString());
        Assert.Contains("4.5 hours", hits[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Ask_tool_answers_with_a_citation()
    {
        var result = await server.Client.CallToolAsync("ask",
            new Dictionary<string, object?> { ["question"] = "How many years does the warranty cover?" }, cancellationToken: Ct);

        var answer = Content(result);
        Assert.Contains("two years", answer.GetProperty("answer").GetString());
        Assert.Equal("docs/warranty.md", answer.GetProperty("citations")[0].GetProperty("documentId").GetString());
    }

    [Fact]
    public async Task Classification_tools_return_a_label_with_scores()
    {
        var sentiment = Content(await server.Client.CallToolAsync("sentiment",
            new Dictionary<string, object?> { ["text"] = "I love this bike, it is wonderful and works perfectly!" }, cancellationToken: Ct));
        Assert.Equal("positive", sentiment.GetProperty("label").GetString());

        var topic = Content(await server.Client.CallToolAsync("classify",
            new Dictionary<string, object?> { ["text"] = "My invoice charged me twice, I want a refund", ["labels"] = "billing,shipping" }, cancellationToken: Ct));
        Assert.Equal("billing", topic.GetProperty("label").GetString());
        Assert.Equal(2, topic.GetProperty("scores").EnumerateObject().Count());
    }

    [Fact]
    public async Task List_documents_tool_lists_the_ingested_documents()
    {
        var documents = Content(await server.Client.CallToolAsync("list_documents", new Dictionary<string, object?>(), cancellationToken: Ct));
        Assert.Equal(["docs/battery.md", "docs/warranty.md"], documents.EnumerateArray().Select(d => d.GetProperty("id").GetString()).Order());
    }

    public static TheoryData<string, Dictionary<string, object?>, string> OverTheLimits => new()
    {
        // The HTTP API's limits, on stdio too (RequestLimits).
        { "classify", new() { ["text"] = "hello", ["labels"] = string.Join(',', Enumerable.Range(0, 2000).Select(i => $"label{i}")) }, "2000 labels; the limit is 100" },
        { "ask", new() { ["question"] = new string('q', 4001) }, "4001 characters; the limit is 4000" },
        { "search", new() { ["query"] = new string('q', 4001) }, "4001 characters; the limit is 4000" },
        { "search", new() { ["query"] = "charge", ["top"] = 51 }, "'top' must be between 1 and 50" },
        { "search", new() { ["query"] = "charge", ["top"] = 0 }, "'top' must be between 1 and 50" },
        // A wrong type names the argument instead of a .NET conversion error.
        { "search", new() { ["query"] = "charge", ["top"] = "x" }, "\"top\" of \"search\" must be an integer" },
        { "search", new() { ["query"] = 5 }, "\"query\" of \"search\" must be a string" },
        { "classify", new() { ["text"] = "hello", ["labels"] = new[] { "a", "b" } }, "\"labels\" of \"classify\" must be a string" },
    };

    [Theory]
    [MemberData(nameof(OverTheLimits))]
    public async Task Requests_over_the_apis_limits_or_of_the_wrong_type_are_tool_errors_that_say_why(string tool, Dictionary<string, object?> arguments, string expected)
    {
        var result = await server.Client.CallToolAsync(tool, arguments, cancellationToken: Ct);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Contains(expected, text);
        Assert.DoesNotContain("System.", text);
    }

    [Fact]
    public async Task Bad_arguments_come_back_as_a_tool_error_with_the_reason()
    {
        var result = await server.Client.CallToolAsync("classify",
            new Dictionary<string, object?> { ["text"] = "hello", ["labels"] = "only-one" }, cancellationToken: Ct);

        Assert.True(result.IsError);
        Assert.Contains("at least two", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace KnowledgeQa.Server.Tests;

/// <summary>MCP at /mcp on the real server: malformed JSON-RPC is answered, arguments are checked by name, and the API's limits hold.</summary>
public sealed class McpHttpTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int, string?> BadMessages => new()
    {
        { "garbage", -32700, null },
        { """{"jsonrpc": "2.0", "id": 4, "method": "tools/list" """, -32700, null },
        { """{"jsonrpc": "2.0", "id": 7}""", -32600, "7" },
        { """{"id": 8, "method": "tools/list"}""", -32600, "8" },
        { """{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": "x"}""", -32600, "9" },
        { "42", -32600, null },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task A_malformed_message_gets_a_json_rpc_error(string body, int code, string? id)
    {
        var response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("2.0", error.GetProperty("jsonrpc").GetString());
        Assert.Equal(code, error.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(id, error.GetProperty("id").ValueKind == JsonValueKind.Null ? null : error.GetProperty("id").GetRawText());
    }

    [Fact]
    public async Task A_batch_gets_an_invalid_request_error_for_each_of_its_messages()
    {
        var response = await PostAsync("""[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, {"jsonrpc": "2.0", "id": "b", "method": "ping"}]""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.EnumerateArray().ToList();
        Assert.Equal(["1", "\"b\""], errors.Select(e => e.GetProperty("id").GetRawText()));
        Assert.All(errors, e => Assert.Equal(-32600, e.GetProperty("error").GetProperty("code").GetInt32()));
    }

    public static TheoryData<string, Dictionary<string, object?>, string> BadArguments => new()
    {
        { "search", new() { ["query"] = "charge", ["top"] = "x" }, "\"top\"" },
        { "search", new() { ["query"] = 5 }, "\"query\"" },
        { "search", new() { ["top"] = 3 }, "\"query\"" },
        { "classify", new() { ["text"] = "x", ["labels"] = 5 }, "\"labels\"" },
        { "search", new() { ["query"] = "charge", ["top"] = 51 }, "between 1 and 50" },
        { "ask", new() { ["question"] = new string('q', 4001) }, "the limit is 4000" },
        { "classify", new() { ["text"] = "x", ["labels"] = string.Join(',', Enumerable.Range(0, 101).Select(i => $"l{i}")) }, "101 labels; the limit is 100" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public async Task A_bad_argument_is_a_tool_error_that_names_it(string tool, Dictionary<string, object?> arguments, string expected)
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.BaseAddress, "/mcp"),
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + RunningServer.ApiKey },
        }), cancellationToken: Ct);

        var result = await client.CallToolAsync(tool, arguments, cancellationToken: Ct);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Contains(expected, text);
        Assert.DoesNotContain("System.", text);
    }

    private async Task<HttpResponseMessage> PostAsync(string body)
    {
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return await client.SendAsync(request, Ct);
    }
}

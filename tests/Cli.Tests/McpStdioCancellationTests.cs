using ModelContextProtocol.Client;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// Work for a stdio client stops when the client cancels or goes away. The chat model is an
/// OpenAI-compatible endpoint on loopback that never answers, so only a dropped request ends its
/// call; before, `kqa mcp` kept such a call (and itself) alive for 100 s after the client had gone.
/// </summary>
public sealed class McpStdioCancellationTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    private readonly TempFolder _folder = new();
    private HeldChatEndpoint _chat = null!;

    private Dictionary<string, string> ChatEnvironment => new()
    {
        ["KQA__Chat__Endpoint"] = _chat.BaseUrl,
        ["KQA__Chat__ModelName"] = "held",
    };

    public async ValueTask InitializeAsync()
    {
        _chat = await HeldChatEndpoint.StartAsync();
        var docs = Directory.CreateDirectory(Path.Combine(_folder.Path, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "battery.md"), TestDocuments.BatteryText, Ct);
        var ingest = await KqaProcess.RunAsync(_folder.Path, "--data", Path.Combine(_folder.Path, "kb"), "ingest", docs);
        Assert.Equal(0, ingest.ExitCode);
    }

    [Fact]
    public async Task Cancelling_a_call_drops_the_chat_models_request()
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "kqa",
            Command = "dotnet",
            Arguments = [Path.Combine(AppContext.BaseDirectory, "kqa.dll"), "mcp", "--data", Path.Combine(_folder.Path, "kb")],
            WorkingDirectory = _folder.Path,
            EnvironmentVariables = ChatEnvironment.ToDictionary(e => e.Key, e => (string?)e.Value),
        });
        await using var client = await McpClient.CreateAsync(transport, cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = client.CallToolAsync("ask", new Dictionary<string, object?> { ["question"] = "How long does a full charge take?" }, cancellationToken: cancel.Token).AsTask();

        await _chat.Received.WaitAsync(Guard, Ct);
        await cancel.CancelAsync();

        await _chat.Abandoned.WaitAsync(Guard, Ct);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task A_client_that_closes_its_end_stops_the_call_and_kqa_exits()
    {
        await using var kqa = RawMcpProcess.Start(_folder.Path, ChatEnvironment);
        await kqa.SendAsync("""{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}""");
        await kqa.ReadAsync();
        await kqa.SendAsync("""{"jsonrpc": "2.0", "method": "notifications/initialized"}""");
        await kqa.SendAsync("""{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "ask", "arguments": {"question": "How long does a full charge take?"}}}""");

        await _chat.Received.WaitAsync(Guard, Ct);
        kqa.CloseInput();

        await _chat.Abandoned.WaitAsync(Guard, Ct);
        await kqa.Process.WaitForExitAsync(Ct).WaitAsync(Guard, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _folder.Dispose();
    }
}

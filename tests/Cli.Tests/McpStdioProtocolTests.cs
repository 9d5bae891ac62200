using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// `kqa mcp` fed raw lines, as a broken or hostile client would send them: every line that is not
/// one valid JSON-RPC message gets a JSON-RPC error (ModelContextProtocol 2.4.0 alone drops a
/// garbage line and a batch in silence), and the session goes on working afterwards.
/// </summary>
public sealed class McpStdioProtocolTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_malformed_line_gets_an_error_and_the_session_still_answers_after_them()
    {
        using var folder = new TempFolder();
        await using var kqa = RawMcpProcess.Start(folder.Path, new Dictionary<string, string>());

        var cases = new (string Line, int Code, string? Id)[]
        {
            ("garbage line", -32700, null),
            ("""{"jsonrpc": "2.0", "id": 3, "method": "tools/list" """, -32700, null),
            ("""[{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]""", -32600, "2"),
            ("[]", -32600, null),
            ("""{"jsonrpc": "2.0", "id": 7}""", -32600, "7"),
            ("""{"id": 8, "method": "tools/list"}""", -32600, "8"),
            ("""{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": "x"}""", -32600, "9"),
            ("\"just a string\"", -32600, null),
            ("""{"jsonrpc": "2.0", "id": 10, "method": "ping", "params": {"pad": """ + "\"" + new string('x', 300 * 1024) + "\"}}", -32600, null),
        };
        foreach (var (line, code, id) in cases)
        {
            await kqa.SendAsync(line);
            var reply = await kqa.ReadAsync();
            // A batch is answered with an array: one error per message in it.
            var error = reply.ValueKind == JsonValueKind.Array ? reply[0] : reply;
            Assert.Equal(code, error.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal(id, error.GetProperty("id").ValueKind == JsonValueKind.Null ? null : error.GetProperty("id").GetRawText());
        }

        await kqa.SendAsync("""{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}""");
        var initialized = await kqa.ReadAsync();
        Assert.Equal(1, initialized.GetProperty("id").GetInt32());
        Assert.Equal("kqa", initialized.GetProperty("result").GetProperty("serverInfo").GetProperty("name").GetString());
    }
}

/// <summary>The real `kqa mcp` process with raw access to its standard input and output.</summary>
public sealed class RawMcpProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RawMcpProcess(Process process) => _process = process;

    public Process Process => _process;

    public static RawMcpProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = KqaProcess.StartInfo(workingDirectory, environment, ["mcp", "--data", Path.Combine(workingDirectory, "kb"), .. args]);
        var process = Process.Start(start)!;
        process.StandardInput.AutoFlush = true;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new RawMcpProcess(process);
    }

    public Task SendAsync(string line) => _process.StandardInput.WriteLineAsync(line);

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>The next line of standard output as JSON (every line there must be JSON-RPC).</summary>
    public async Task<JsonElement> ReadAsync()
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromMinutes(2));
        var line = await _process.StandardOutput.ReadLineAsync(guard.Token)
            ?? throw new InvalidOperationException("kqa mcp closed its output");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.StandardInput.Close(); } catch (IOException) { }
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
                _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server.Mcp;

/// <summary>
/// Lets an MCP client cancel a call over stateless HTTP. There every message is its own POST and
/// the library has no session to route <c>notifications/cancelled</c> to, so the call would run to
/// its end. Here each request's POST gets a cancellation source (also cancelled when the POST is
/// aborted), registered by caller and request id; the cancel notification of the same caller
/// (same Authorization header) fires it.
/// </summary>
public sealed class McpInFlightRequests
{
    private readonly ConcurrentDictionary<(string Caller, string RequestId), CancellationTokenSource> _running = new();

    /// <summary>Runs <paramref name="next"/> for one POSTed message, tracking or cancelling requests it names.</summary>
    public async Task RunAsync(HttpContext context, ReadOnlyMemory<byte> message, RequestDelegate next)
    {
        var (method, id, cancelledId) = Read(message);
        var caller = Caller(context.Request);
        if (method == "notifications/cancelled" && cancelledId is not null && _running.TryGetValue((caller, cancelledId), out var target))
            await target.CancelAsync();
        if (id is null || method is null)
        {
            await next(context);
            return;
        }

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var key = (caller, id);
        if (!_running.TryAdd(key, cancellation))
        {
            // The same id twice at once from one caller: tracked once, the second runs untracked.
            await next(context);
            return;
        }
        try
        {
            // The library hands the request's abort token to the handler: this one also fires on cancel.
            context.RequestAborted = cancellation.Token;
            await next(context);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<(string, string), CancellationTokenSource>(key, cancellation));
        }
    }

    private static (string? Method, string? Id, string? CancelledId) Read(ReadOnlyMemory<byte> message)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        var method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var id = root.TryGetProperty("id", out var i) && i.ValueKind is JsonValueKind.String or JsonValueKind.Number ? i.GetRawText() : null;
        var cancelled = root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("requestId", out var r) && r.ValueKind is JsonValueKind.String or JsonValueKind.Number
                ? r.GetRawText()
                : null;
        return (method, id, cancelled);
    }

    // Only the caller who sent a request may cancel it: its credentials, hashed, name it.
    private static string Caller(HttpRequest request) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString())));
}

using System.Text.Json;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Plugins.Results;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server;

/// <summary>
/// An answer as server-sent events: <c>event: delta</c> with <c>{"text": ...}</c> as the text
/// arrives, then one <c>event: answer</c> with the <see cref="AnswerResult"/>.
/// </summary>
public static class AnswerStream
{
    public static bool IsWanted(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));

    public static async Task WriteAsync(HttpResponse response, IAsyncEnumerable<AnswerUpdate> updates, Func<KnowledgeAnswer, AnswerResult> show, CancellationToken cancellationToken)
    {
        await using var enumerator = updates.GetAsyncEnumerator(cancellationToken);
        // The first step runs retrieval: an error there is still answered as plain JSON, not a broken stream.
        var hasFirst = await enumerator.MoveNextAsync();

        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        for (var more = hasFirst; more; more = await enumerator.MoveNextAsync())
        {
            var update = enumerator.Current;
            if (update.Answer is { } final)
            {
                await WriteEventAsync(response, "answer", show(final), cancellationToken);
                return;
            }
            if (update.Text.Length > 0)
                await WriteEventAsync(response, "delta", new { text = update.Text }, cancellationToken);
        }
        await WriteEventAsync(response, "error", new ApiError("the answer stream ended without a final answer"), cancellationToken);
    }

    private static async Task WriteEventAsync<T>(HttpResponse response, string name, T data, CancellationToken cancellationToken)
    {
        // Unindented JSON has no raw newlines, so each event is one data line.
        var json = JsonSerializer.Serialize(data, ServerJson.Options);
        await response.WriteAsync($"event: {name}\ndata: {json}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}

using System.Runtime.CompilerServices;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Retrieval.Chunking;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>
/// A chat model that replies with scripted texts, streamed word by word, and records every call.
/// For orchestration tests only; the real generation path is tested with the tiny GenAI model.
/// </summary>
internal sealed class ScriptedChatClient(params string[] replies) : IChatClient
{
    private readonly Queue<string> _replies = new(replies);
    private readonly ChatClientMetadata _metadata = new("scripted", null, "scripted-model");

    public List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

    public ChatModelLimits? Limits { get; init; }

    public ITokenCounter? TokenCounter { get; init; }

    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls.Add((messages.ToList(), options));
        var reply = _replies.Count > 0 ? _replies.Dequeue() : throw new InvalidOperationException("the script has no more replies");
        foreach (var piece in Pieces(reply))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece);
        }

        yield return new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType == typeof(ChatModelLimits) ? Limits
        : serviceType == typeof(ITokenCounter) ? TokenCounter
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    /// <summary>Words with their following space, so the pieces join back to the reply.</summary>
    private static IEnumerable<string> Pieces(string reply)
    {
        var start = 0;
        for (var i = 0; i < reply.Length; i++)
        {
            if (reply[i] == ' ')
            {
                yield return reply[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < reply.Length)
        {
            yield return reply[start..];
        }
    }
}

using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.ToolCalling;

/// <summary>
/// A model without native tool calling that replies with scripted texts and records what it was
/// sent. For orchestration tests; the real runtime is tested with the tiny GenAI model.
/// </summary>
internal sealed class ScriptedToolModel(params string[] replies) : IChatClient
{
    private readonly Queue<string> _replies = new(replies);
    private readonly ChatClientMetadata _metadata = new("scripted", null, "scripted-model");

    public List<(IEnumerable<ChatMessage> Sent, List<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

    public int RepliesLeft => _replies.Count;

    public Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var reply = Next(messages, options);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply))
        {
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        });
    }

    /// <summary>Three pieces per reply, so a test can tell a pass-through stream from a buffered one.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reply = Next(messages, options);
        var third = (reply.Length + 2) / 3;
        for (var start = 0; start < reply.Length; start += third)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, reply.Substring(start, Math.Min(third, reply.Length - start)));
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private string Next(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        Calls.Add((messages, messages.ToList(), options));
        return _replies.Count > 0 ? _replies.Dequeue() : throw new InvalidOperationException("the script has no more replies");
    }
}

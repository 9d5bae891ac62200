using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Diagnostics;

/// <summary>
/// Counts the tokens of the model calls made in one async flow (one HTTP request, say) and keeps the
/// finish reason of the last one, so a caller that reports usage (the OpenAI-compatible endpoint)
/// gets the model's own numbers rather than an estimate. Chat clients made by KnowledgeQa record
/// into it (<see cref="AgentsTelemetry.WithKnowledgeQaTelemetry(IChatClient, Microsoft.Extensions.Logging.ILoggerFactory?)"/>).
/// Scopes nest: a call counts in the innermost scope and every scope around it.
/// </summary>
public sealed class ChatUsageScope : IDisposable
{
    private static readonly AsyncLocal<ChatUsageScope?> CurrentScope = new();

    private readonly ChatUsageScope? _parent;
    private long _inputTokens;
    private long _outputTokens;
    private int _calls;
    private bool _disposed;

    private ChatUsageScope(ChatUsageScope? parent) => _parent = parent;

    /// <summary>Starts counting the model calls of this async flow until disposed.</summary>
    public static ChatUsageScope Begin() => CurrentScope.Value = new ChatUsageScope(CurrentScope.Value);

    public long InputTokens => Interlocked.Read(ref _inputTokens);

    public long OutputTokens => Interlocked.Read(ref _outputTokens);

    /// <summary>Model calls made in the scope.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Why the last call's generation ended (length: the output limit); null when no call reported one.</summary>
    public ChatFinishReason? FinishReason { get; private set; }

    internal static void Record(UsageDetails? usage, ChatFinishReason? finishReason)
    {
        for (var scope = CurrentScope.Value; scope is not null; scope = scope._parent)
        {
            if (scope._disposed)
                continue;
            Interlocked.Increment(ref scope._calls);
            Interlocked.Add(ref scope._inputTokens, usage?.InputTokenCount ?? 0);
            Interlocked.Add(ref scope._outputTokens, usage?.OutputTokenCount ?? 0);
            if (finishReason is not null)
                scope.FinishReason = finishReason;
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (ReferenceEquals(CurrentScope.Value, this))
            CurrentScope.Value = _parent;
    }
}

/// <summary>Reports each call's usage and finish reason to the current <see cref="ChatUsageScope"/>.</summary>
internal sealed class UsageRecordingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        ChatUsageScope.Record(response.Usage, response.FinishReason);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        UsageDetails? usage = null;
        ChatFinishReason? finishReason = null;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            foreach (var content in update.Contents)
            {
                if (content is UsageContent used)
                {
                    usage ??= new UsageDetails();
                    usage.Add(used.Details);
                }
            }
            finishReason = update.FinishReason ?? finishReason;
            yield return update;
        }

        ChatUsageScope.Record(usage, finishReason);
    }
}

using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>
/// Passes a real chat client through and records what it streamed, so a test can see what the
/// model generated even where the answerer holds it back (an uncited reply is never shown).
/// </summary>
internal sealed class ObservedChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    private readonly StringBuilder _text = new();

    /// <summary>Streamed updates that carried text.</summary>
    public int Updates { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Called after each streamed update with the count so far.</summary>
    public Action<int>? OnUpdate { get; init; }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            // Text updates only: one per generated token (the last update may carry only the finish reason).
            if (!string.IsNullOrEmpty(update.Text))
                Updates++;
            _text.Append(update.Text);
            OnUpdate?.Invoke(Updates);
            yield return update;
        }
    }
}

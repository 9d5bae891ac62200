using System.Runtime.CompilerServices;
using KnowledgeQa.Retrieval.Chunking;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// A chat client as configured by <see cref="ChatModelOptions"/>: fills in the configured output
/// limit and temperature when a call sets none, tells the answerer the model's limits
/// (<see cref="ChatModelLimits"/>) and token counter (<see cref="ITokenCounter"/>) through
/// GetService, and owns whatever else the model needed (disposed with it).
/// </summary>
public sealed class ConfiguredChatClient : DelegatingChatClient
{
    private readonly ChatClientMetadata _metadata;
    private readonly ChatErrorTranslator _errors;
    private readonly IDisposable[] _owned;

    public ConfiguredChatClient(
        IChatClient inner,
        ChatClientMetadata metadata,
        ChatModelLimits limits,
        ITokenCounter tokenCounter,
        float? temperature,
        params IDisposable[] owned)
        : base(inner)
    {
        _metadata = metadata;
        _errors = new ChatErrorTranslator($"'{metadata.DefaultModelId}' at {metadata.ProviderUri}");
        Limits = limits;
        TokenCounter = tokenCounter;
        Temperature = temperature;
        _owned = owned;
    }

    public ChatModelLimits Limits { get; }

    public ITokenCounter TokenCounter { get; }

    public float? Temperature { get; }

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
            return await base.GetResponseAsync(list, WithDefaults(list, options), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_errors.Translate(e) is { } typed)
        {
            throw typed;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var updates = base.GetStreamingResponseAsync(list, WithDefaults(list, options), cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                // Errors surface while moving to the next update; a yield cannot sit inside a catch.
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (Exception e) when (_errors.Translate(e) is { } typed)
                {
                    throw typed;
                }

                yield return updates.Current;
            }
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null)
        {
            if (serviceType == typeof(ChatClientMetadata))
            {
                return _metadata;
            }

            if (serviceType == typeof(ChatModelLimits))
            {
                return Limits;
            }

            if (serviceType == typeof(ITokenCounter))
            {
                return TokenCounter;
            }
        }

        return base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            // The inner client goes first: it holds generators of the model disposed here.
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }
        }
    }

    // Chat templates add a few tokens around every message (role markers, separators).
    private const int TemplateTokensPerMessage = 8;

    /// <summary>Output room left below this is not worth generating into: the call is refused instead.</summary>
    public const int MinOutputTokens = 16;

    /// <summary>
    /// The configured defaults, with the output limit cut to what the context window leaves after the
    /// prompt: ONNX Runtime GenAI refuses prompt + output beyond the window outright, and a long
    /// conversation (an agent's tool results, say) must get a shorter answer rather than an error.
    /// </summary>
    private ChatOptions WithDefaults(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var result = options?.Clone() ?? new ChatOptions();
        result.Temperature ??= Temperature;
        var prompt = messages.Sum(m => TokenCounter.CountTokens(m.Text) + TemplateTokensPerMessage);
        var room = Limits.ContextTokens - prompt;
        if (room < MinOutputTokens)
        {
            throw new ChatModelException(
                $"The conversation takes about {prompt} tokens and the model's context window is {Limits.ContextTokens}: " +
                "ask with fewer passages (--top), start a new conversation, or use a model with a longer context.");
        }
        result.MaxOutputTokens = Math.Min(result.MaxOutputTokens ?? Limits.MaxOutputTokens, room);
        return result;
    }
}

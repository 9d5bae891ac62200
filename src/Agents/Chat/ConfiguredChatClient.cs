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
            return await base.GetResponseAsync(messages, WithDefaults(options), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_errors.Translate(e) is { } typed)
        {
            throw typed;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var updates = base.GetStreamingResponseAsync(messages, WithDefaults(options), cancellationToken).GetAsyncEnumerator(cancellationToken);
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

    private ChatOptions WithDefaults(ChatOptions? options)
    {
        var result = options?.Clone() ?? new ChatOptions();
        result.MaxOutputTokens ??= Limits.MaxOutputTokens;
        result.Temperature ??= Temperature;
        return result;
    }
}

using Grpc.Core;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Runs Qdrant calls with retries on transient gRPC errors (exponential backoff with jitter, via a
/// Polly.Core pipeline) and turns what still fails into a <see cref="KnowledgeStoreException"/>.
/// </summary>
internal sealed class QdrantCalls
{
    private static readonly ResiliencePropertyKey<string> OperationKey = new("kqa.qdrant.operation");

    private readonly QdrantEndpoint _endpoint;
    private readonly ResiliencePipeline _pipeline;

    public QdrantCalls(QdrantEndpoint endpoint, QdrantStoreOptions options, ILogger logger)
    {
        _endpoint = endpoint;
        _pipeline = CreatePipeline(options, logger, endpoint);
    }

    public static ResiliencePipeline CreatePipeline(QdrantStoreOptions options, ILogger logger, QdrantEndpoint endpoint)
    {
        if (options.MaxRetries == 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(QdrantErrors.IsTransient),
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    args.Context.Properties.TryGetValue(OperationKey, out var operation);
                    logger.LogWarning(
                        "Qdrant at {Endpoint}: {Operation} failed ({Reason}); retry {Attempt} in {Delay}.",
                        endpoint, operation, args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>
    /// Runs <paramref name="call"/>. With <paramref name="whenCollectionMissing"/>, a missing
    /// collection is an answer (an empty store) rather than an error.
    /// </summary>
    public async Task<T> RunAsync<T>(
        string operation,
        string collection,
        Func<CancellationToken, Task<T>> call,
        CancellationToken cancellationToken,
        Func<T>? whenCollectionMissing = null)
    {
        var attempts = 0;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(OperationKey, operation);
        try
        {
            return await _pipeline.ExecuteAsync(
                async ctx =>
                {
                    attempts++;
                    return await call(ctx.CancellationToken).ConfigureAwait(false);
                },
                context).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{operation} was cancelled.", e, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && whenCollectionMissing is not null)
        {
            return whenCollectionMissing();
        }
        catch (Exception e) when (e is RpcException or QdrantWriteNotAppliedException)
        {
            throw QdrantErrors.Failure(_endpoint, collection, operation, e, attempts);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}

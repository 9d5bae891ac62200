using Grpc.Core;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Runs Qdrant calls with retries on transient gRPC errors (exponential backoff with jitter, via a
/// Polly.Core pipeline), bounds each operation's total time across attempts, and turns what still
/// fails into a <see cref="KnowledgeStoreException"/>.
/// </summary>
internal sealed class QdrantCalls
{
    private static readonly ResiliencePropertyKey<string> OperationKey = new("kqa.qdrant.operation");

    private readonly QdrantEndpoint _endpoint;
    private readonly TimeSpan _operationTimeout;
    private readonly ResiliencePipeline _pipeline;
    private readonly Func<CancellationToken, Task<IReadOnlyList<string>>> _listCollections;

    /// <param name="listCollections">Names the existing collections when a read finds its collection missing.</param>
    public QdrantCalls(QdrantEndpoint endpoint, QdrantStoreOptions options, ILogger logger, Func<CancellationToken, Task<IReadOnlyList<string>>> listCollections)
    {
        _endpoint = endpoint;
        _operationTimeout = options.OperationTimeout;
        _pipeline = CreatePipeline(options, logger, endpoint);
        _listCollections = listCollections;
    }

    public static ResiliencePipeline CreatePipeline(QdrantStoreOptions options, ILogger logger, QdrantEndpoint endpoint)
    {
        // Outermost: the whole operation, retries and backoff included, has one time budget, so a
        // stuck server costs OperationTimeout rather than (MaxRetries + 1) x RequestTimeout.
        var builder = new ResiliencePipelineBuilder().AddTimeout(options.OperationTimeout);
        if (options.MaxRetries == 0)
        {
            return builder.Build();
        }

        return builder
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
    /// collection is an answer (an empty store) rather than an error; without it, the error names
    /// the collections that do exist.
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
        catch (Exception e) when (e is RpcException { StatusCode: StatusCode.Cancelled } or OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{operation} was cancelled.", e, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutRejectedException or RpcException { StatusCode: StatusCode.Cancelled } or OperationCanceledException)
        {
            // Not the caller's token: the operation's time budget ran out (gRPC reports that as Cancelled).
            throw QdrantErrors.GaveUp(_endpoint, collection, operation, _operationTimeout, attempts, e);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && IsMissingCollection(e))
        {
            if (whenCollectionMissing is not null)
            {
                return whenCollectionMissing();
            }

            var existing = await _listCollections(cancellationToken).ConfigureAwait(false);
            throw QdrantErrors.CollectionMissing(_endpoint, collection, existing);
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

    // Qdrant says "Collection `x` doesn't exist!"; other NotFound answers (a point, a shard) are failures.
    private static bool IsMissingCollection(RpcException exception) =>
        exception.Status.Detail.Contains("collection", StringComparison.OrdinalIgnoreCase)
        || string.IsNullOrEmpty(exception.Status.Detail);
}

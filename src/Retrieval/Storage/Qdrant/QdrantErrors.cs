using Grpc.Core;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Which Qdrant failures are worth retrying, and the messages for those that are not. Every
/// message names the endpoint and collection and says what to do, because the CLI prints it as is.
/// </summary>
internal static class QdrantErrors
{
    /// <summary>
    /// Failures that can pass on their own: the server is restarting or overloaded, a deadline ran
    /// out, a cluster write raced another. Retrying is safe because every write is idempotent
    /// (deterministic point ids, delete-by-filter).
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RpcException rpc => IsTransient(rpc.StatusCode) || AsksForRetry(rpc),
        QdrantWriteNotAppliedException => true,
        _ => false,
    };

    public static bool IsTransient(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    /// <summary>
    /// While a cluster node restarts or a shard moves, Qdrant answers <c>Internal</c> with a detail
    /// such as "No active replica ... Please retry": transient, though the status does not say so.
    /// Other <c>Internal</c> errors (a bug, a corrupt segment) are not retried.
    /// </summary>
    public static bool AsksForRetry(RpcException exception) =>
        exception.StatusCode == StatusCode.Internal
        && (exception.Status.Detail.Contains("please retry", StringComparison.OrdinalIgnoreCase)
            || exception.Status.Detail.Contains("no active replica", StringComparison.OrdinalIgnoreCase));

    /// <summary>The operation ran past <see cref="QdrantStoreOptions.OperationTimeout"/> across its attempts.</summary>
    public static KnowledgeStoreException GaveUp(QdrantEndpoint endpoint, string collection, string operation, TimeSpan budget, int attempts, Exception? cause) =>
        new($"Qdrant at {endpoint}, collection '{collection}': {operation} did not finish within {budget} ({attempts} attempt{(attempts == 1 ? "" : "s")}). "
            + "The server is slow or a cluster node is down: check its log, or raise Store:Qdrant:OperationTimeout.", cause);

    /// <summary>A read of a collection that does not exist: most often a mistyped --collection.</summary>
    public static KnowledgeStoreException CollectionMissing(QdrantEndpoint endpoint, string collection, IReadOnlyList<string> existing)
    {
        var kqaCollections = existing.Where(c => !c.EndsWith("_documents", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        var listed = kqaCollections.Length == 0
            ? "it has no collections yet"
            : $"its collections are: {string.Join(", ", kqaCollections)}";
        return new QdrantCollectionNotFoundException(
            $"Qdrant at {endpoint} has no collection '{collection}' ({listed}). Check --collection (or KQA__Store__Qdrant__Collection), or ingest documents to create it.",
            collection);
    }

    public static bool IsAlreadyExists(RpcException exception) =>
        exception.StatusCode == StatusCode.AlreadyExists
        || (exception.StatusCode == StatusCode.InvalidArgument && exception.Status.Detail.Contains("already exists", StringComparison.OrdinalIgnoreCase));

    /// <summary>A call that failed for good (permanent error, or transient ones past the last retry).</summary>
    public static KnowledgeStoreException Failure(QdrantEndpoint endpoint, string collection, string operation, Exception cause, int attempts)
    {
        var what = $"Qdrant at {endpoint}, collection '{collection}': {operation} failed";
        var tries = attempts > 1 ? $" after {attempts} attempts" : "";
        var (reason, advice) = cause switch
        {
            RpcException rpc => (Describe(rpc), Advice(rpc.StatusCode, endpoint)),
            _ => (cause.Message, "Retry later; if it persists, check the Qdrant server's log."),
        };
        return new KnowledgeStoreException($"{what}{tries}: {reason}. {advice}", cause);
    }

    /// <summary>The first contact failed: nothing answers at the URL, or not in gRPC.</summary>
    public static KnowledgeStoreException Unreachable(QdrantEndpoint endpoint, Exception cause)
    {
        var reason = cause is RpcException rpc ? Describe(rpc) : cause.Message;
        // Qdrant's own health check needs no key; a proxy in front of it (a cloud gateway) may.
        if (cause is RpcException { StatusCode: StatusCode.Unauthenticated or StatusCode.PermissionDenied })
        {
            return new KnowledgeStoreException(
                $"Qdrant at {endpoint} refused the connection: {reason}. Set the API key with --qdrant-api-key (or KQA__Store__Qdrant__ApiKey).", cause);
        }

        return new KnowledgeStoreException(
            $"Cannot reach Qdrant at {endpoint}: {reason}.{endpoint.PortHint} Start Qdrant with `{QdrantEndpoint.DockerCommand}`, "
            + "or point kqa at a running server with --qdrant-url (or KQA__Store__Qdrant__Url).", cause);
    }

    public static string Describe(RpcException exception)
    {
        var detail = exception.Status.Detail;
        // Connection failures say only "Error connecting to subchannel"; the socket error (refused,
        // unknown host) travels as the debug exception.
        var root = exception.Status.DebugException;
        while (root?.InnerException is not null)
        {
            root = root.InnerException;
        }

        if (root is not null && !string.IsNullOrWhiteSpace(root.Message) && !detail.Contains(root.Message, StringComparison.Ordinal))
        {
            detail = $"{detail.TrimEnd('.')} ({root.Message.TrimEnd('.')})";
        }

        return string.IsNullOrWhiteSpace(detail) ? exception.StatusCode.ToString() : $"{exception.StatusCode}, {detail.TrimEnd('.')}";
    }

    private static string Advice(StatusCode code, QdrantEndpoint endpoint) => code switch
    {
        StatusCode.Unavailable => $"Check that Qdrant is running and reachable (`{QdrantEndpoint.DockerCommand}` starts one locally).",
        StatusCode.DeadlineExceeded => "The server is too slow to answer: raise Store:Qdrant:RequestTimeout or lower Store:Qdrant:UpsertBatchSize.",
        StatusCode.ResourceExhausted =>
            "Qdrant is rate-limiting this client or its disk is full: check the server's free disk space and its rate limits, then run the command again.",
        // The health check needs no key, so a missing or wrong key shows on the first real call.
        StatusCode.Unauthenticated or StatusCode.PermissionDenied =>
            "Qdrant refused the API key (it was missing, wrong, or read-only for a write): set a valid key with --qdrant-api-key (or KQA__Store__Qdrant__ApiKey).",
        StatusCode.NotFound => "The collection does not exist (deleted meanwhile?): run the ingest again to create it, or check --collection.",
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition =>
            "Qdrant rejected the request: check that the collection was created by kqa for this embedding model, or use another --collection.",
        StatusCode.Unimplemented => $"The server at {endpoint} does not support this call: upgrade Qdrant to {QdrantServerVersion.Minimum} or newer.",
        _ => "Check the Qdrant server's log; retrying the command is safe (writes are idempotent).",
    };
}

/// <summary>The collection a read needed does not exist; the message lists the ones that do.</summary>
public sealed class QdrantCollectionNotFoundException(string message, string collection) : KnowledgeStoreException(message)
{
    public string Collection { get; } = collection;
}

/// <summary>A write Qdrant accepted but did not report applied (wait timed out, or a cluster clock conflict).</summary>
internal sealed class QdrantWriteNotAppliedException(string message) : Exception(message);

namespace KnowledgeQa.Retrieval;

/// <summary>
/// The store cannot grow: its disk (or its configured size limit) is full. Nothing of the write
/// that hit the limit was kept; earlier writes were. The message says where to free space.
/// </summary>
public sealed class StoreFullException(string message, string? location, Exception? inner = null) : KnowledgeStoreException(message, inner)
{
    /// <summary>The file or server whose space ran out, when known.</summary>
    public string? Location { get; } = location;
}

/// <summary>
/// Another process holds the store's write lock and kept it for longer than the store waits (with
/// retries). Trying again later can succeed: <see cref="RetryAfter"/> is a reasonable wait.
/// </summary>
public sealed class StoreBusyException(string message, TimeSpan retryAfter, Exception? inner = null) : KnowledgeStoreException(message, inner)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

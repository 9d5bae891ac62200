namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>Where the embedded store keeps its data, and how it behaves when space or the lock runs short.</summary>
public sealed class EmbeddedStoreOptions
{
    /// <summary>The SQLite file (created with its folder when missing), for example "data/knowledge.db".</summary>
    public string Path { get; set; } = "knowledge.db";

    /// <summary>
    /// How long a write waits, in all (with retries and backoff), while another process holds the
    /// store's write lock, before it fails with <see cref="StoreBusyException"/>.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A size limit for the store file, in bytes (null: only the disk limits it). A write that
    /// would grow the file beyond it fails with <see cref="StoreFullException"/> and is not kept.
    /// </summary>
    public long? MaxSizeBytes { get; set; }

    /// <summary>
    /// How many vectors of deleted chunks are kept (newest first; about 1.5 KB each at 384
    /// dimensions) so that text deleted in one run and added back in a later one is not embedded
    /// again. 0 keeps none: then only vectors of chunks still stored are reused.
    /// </summary>
    public int DeletedVectorCacheSize { get; set; } = 20_000;

    internal void Validate()
    {
        if (BusyTimeout < TimeSpan.Zero)
            throw new InvalidOptionException($"EmbeddedStoreOptions.BusyTimeout is {BusyTimeout}: give zero or a positive time, such as 00:00:30.");
        if (MaxSizeBytes is <= 0)
            throw new InvalidOptionException($"EmbeddedStoreOptions.MaxSizeBytes is {MaxSizeBytes}: give a positive number of bytes, or leave it unset for no limit.");
        if (DeletedVectorCacheSize < 0)
            throw new InvalidOptionException($"EmbeddedStoreOptions.DeletedVectorCacheSize is {DeletedVectorCacheSize}: give 0 (keep none) or more.");
    }
}

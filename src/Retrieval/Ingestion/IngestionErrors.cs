namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>A path given to an ingest cannot be used (it does not exist, or the folder cannot be read, or is empty where it should not be).</summary>
public sealed class IngestionPathException(string path, string message) : KnowledgeQaException(message)
{
    public string Path { get; } = path;
}

/// <summary>
/// A source name is bound to another root than the one being ingested (or to uploads, or the path
/// lies inside another source): the message names both and the option that separates them.
/// </summary>
public sealed class SourceConflictException(string sourceName, string message) : KnowledgeQaException(message)
{
    public string SourceName { get; } = sourceName;
}

/// <summary>
/// The store stopped an ingest part way (full disk, a lock held by another process):
/// <see cref="Summary"/> says what did go in; <see cref="Exception.InnerException"/> is the store's
/// error, whose message this one repeats. Nothing was pruned.
/// </summary>
public sealed class IngestionStoppedException(IngestionSummary summary, KnowledgeStoreException error)
    : KnowledgeQaException(error.Message, error)
{
    public IngestionSummary Summary { get; } = summary;

    public KnowledgeStoreException StoreError { get; } = error;
}

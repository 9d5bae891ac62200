using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>What an ingest run does beyond reading the given paths.</summary>
public sealed record IngestionOptions
{
    /// <summary>Tags stored with every document of the run (search can filter by them).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Tenant stored with every document of the run, for multi-tenant filters.</summary>
    public string? Tenant { get; init; }

    /// <summary>Which files of the given folders to take.</summary>
    public DiscoveryOptions Discovery { get; init; } = new();

    /// <summary>Documents read and chunked ahead of the embedding stage (enough to fill embedding batches).</summary>
    public int ReadAhead { get; init; } = 64;

    /// <summary>Chunks handed to the embedding model per call (the model batches them further).</summary>
    public int EmbeddingBatchSize { get; init; } = 64;

    /// <summary>Embedding calls in flight at once; more than one helps on GPUs and many-core machines.</summary>
    public int EmbeddingParallelism { get; init; } = 1;
}

public enum IngestionOutcome
{
    /// <summary>A new document was stored.</summary>
    Added,
    /// <summary>The document was stored before with the same content and settings: nothing was written.</summary>
    Unchanged,
    /// <summary>The document had changed: its chunks were replaced.</summary>
    Replaced,
    /// <summary>The file could not be ingested; <see cref="IngestionFileResult.Reason"/> says why.</summary>
    Failed,
    /// <summary>The file was left out on purpose (hidden, excluded, not a supported kind).</summary>
    Skipped,
}

/// <summary>What happened to one file or document.</summary>
public sealed record IngestionFileResult(string Path, string? DocumentId, IngestionOutcome Outcome, int Chunks = 0, string? Reason = null);

/// <summary>Progress of an ingest run, reported after each file.</summary>
public sealed record IngestionProgress(int FilesDone, int FilesTotal, int ChunksEmbedded, IngestionFileResult Last);

/// <summary>The result of an ingest run, file by file, in the order the files were found.</summary>
public sealed record IngestionSummary(IReadOnlyList<IngestionFileResult> Files)
{
    public int Added => Count(IngestionOutcome.Added);
    public int Unchanged => Count(IngestionOutcome.Unchanged);
    public int Replaced => Count(IngestionOutcome.Replaced);
    public int Failed => Count(IngestionOutcome.Failed);
    public int Skipped => Count(IngestionOutcome.Skipped);
    public int Chunks => Files.Where(f => f.Outcome is IngestionOutcome.Added or IngestionOutcome.Replaced).Sum(f => f.Chunks);

    private int Count(IngestionOutcome outcome) => Files.Count(f => f.Outcome == outcome);
}

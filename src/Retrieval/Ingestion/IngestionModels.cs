using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>What an ingest run does beyond reading the given paths.</summary>
public sealed record IngestionOptions
{
    /// <summary>
    /// Tags added to every document of the run (search can filter by them). A document keeps the
    /// tags it had and gains its own (Markdown front matter); see <see cref="ReplaceTags"/>.
    /// </summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>
    /// Set each document's tags to exactly <see cref="Tags"/> plus the document's own, dropping the
    /// tags earlier runs gave it. Off by default: a re-run without tags keeps them.
    /// </summary>
    public bool ReplaceTags { get; init; }

    /// <summary>Tenant stored with every document of the run, for multi-tenant filters.</summary>
    public string? Tenant { get; init; }

    /// <summary>Which files of the given folders to take.</summary>
    public DiscoveryOptions Discovery { get; init; } = new();

    /// <summary>
    /// The source name (the first segment of document ids) for the one path of a file ingest, instead
    /// of the folder's own name; for in-memory documents (uploads), the source they belong to (their
    /// ids must start with "NAME/"). Null: folder ingests name each root after its folder, and
    /// in-memory documents belong to no source.
    /// </summary>
    public string? SourceName { get; init; }

    /// <summary>Bind <see cref="SourceName"/> (or the default name) to this root even when it is bound to another one.</summary>
    public bool Rebind { get; init; }

    /// <summary>
    /// Remove documents of an ingested folder whose files are gone (after the adds, so that a rename
    /// reuses the vectors). Off: documents of deleted files stay until deleted by hand.
    /// </summary>
    public bool Prune { get; init; } = true;

    /// <summary>Let in-memory documents (uploads) be written into a source that is bound to a folder.</summary>
    public bool AllowFolderSource { get; init; }

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
    /// <summary>The document's file is gone from its folder: the document was removed (sync).</summary>
    Removed,
}

/// <summary>What happened to one file or document.</summary>
public sealed record IngestionFileResult(string Path, string? DocumentId, IngestionOutcome Outcome, int Chunks = 0, string? Reason = null)
{
    /// <summary>Chunks the embedding model embedded for this document.</summary>
    public int EmbeddedChunks { get; init; }

    /// <summary>Chunks whose vectors were reused (same text already in the store, or embedded earlier in this run).</summary>
    public int ReusedChunks { get; init; }

    /// <summary>For a failure: the file failed before with the same bytes (a known, unchanged problem).</summary>
    public bool FailedBefore { get; init; }

    /// <summary>For a skipped file: the kind of reason.</summary>
    public SkipKind Skip { get; init; }

    /// <summary>The source (ingested root) the document belongs to, when it has one.</summary>
    public string? SourceName { get; init; }
}

/// <summary>
/// Progress of an ingest run, reported after each file. The work is chunks to embed: how many are
/// left is known for files already read and estimated for the rest from their size (at the rate
/// of chunks per byte seen so far), so a time estimate can follow the real cost.
/// </summary>
public sealed record IngestionProgress(int FilesDone, int FilesTotal, int ChunksEmbedded, IngestionFileResult Last)
{
    /// <summary>Chunks still to embed: known for files read so far, estimated for the others (null before any file was read).</summary>
    public int? ChunksLeft { get; init; }

    /// <summary>Chunks whose vectors were reused so far.</summary>
    public int ChunksReused { get; init; }

    /// <summary>The share of the run's embedding work done, 0 to 1 (by files while nothing is known yet).</summary>
    public double Fraction => ChunksLeft is { } left
        ? (ChunksEmbedded + left == 0 ? (FilesTotal == 0 ? 1 : (double)FilesDone / FilesTotal) : (double)ChunksEmbedded / (ChunksEmbedded + left))
        : FilesTotal == 0 ? 1 : (double)FilesDone / FilesTotal;
}

/// <summary>The result of an ingest run, file by file, in the order the files were found, then the removed documents.</summary>
public sealed record IngestionSummary(IReadOnlyList<IngestionFileResult> Files)
{
    public int Added => Count(IngestionOutcome.Added);
    public int Unchanged => Count(IngestionOutcome.Unchanged);
    public int Replaced => Count(IngestionOutcome.Replaced);
    public int Failed => Count(IngestionOutcome.Failed);
    public int Skipped => Count(IngestionOutcome.Skipped);
    public int Removed => Count(IngestionOutcome.Removed);
    public int Chunks => Files.Where(f => f.Outcome is IngestionOutcome.Added or IngestionOutcome.Replaced).Sum(f => f.Chunks);

    /// <summary>Chunks sent to the embedding model.</summary>
    public int EmbeddedChunks => Files.Sum(f => f.EmbeddedChunks);

    /// <summary>Chunks whose vectors were reused instead of embedded.</summary>
    public int ReusedChunks => Files.Sum(f => f.ReusedChunks);

    /// <summary>Failures of files that are new or changed since they last failed (the rest failed before, unchanged).</summary>
    public int NewFailures => Files.Count(f => f.Outcome == IngestionOutcome.Failed && !f.FailedBefore);

    /// <summary>Files found but not finished because the run stopped early (see <see cref="IngestionStoppedException"/>).</summary>
    public int Unfinished { get; init; }

    private int Count(IngestionOutcome outcome) => Files.Count(f => f.Outcome == outcome);
}

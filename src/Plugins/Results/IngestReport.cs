using KnowledgeQa.Retrieval.Ingestion;

namespace KnowledgeQa.Plugins.Results;

/// <summary>
/// The JSON shape of an ingest run: `kqa ingest --json` and the HTTP upload answer. Counts first;
/// <c>failed</c> tells new failures from files that failed before unchanged (<c>failedBefore</c>);
/// <c>skipped</c> lists every file left out and <c>skippedByReason</c> groups them; <c>removed</c>
/// are documents whose files are gone (sync). A run the store stopped carries <c>error</c> and
/// <c>unfinished</c>: the report says what did go in.
/// </summary>
public sealed record IngestReport(
    int Added, int Replaced, int Unchanged, int Removed, int Chunks,
    IReadOnlyList<IngestReport.Failure> Failed,
    IReadOnlyList<IngestReport.Skip> Skipped,
    IReadOnlyList<IngestReport.FileEntry> Documents)
{
    /// <param name="FailedBefore">The file failed before with the same bytes: a known problem, not a new one.</param>
    public sealed record Failure(string Path, string? DocumentId, string? Reason, bool FailedBefore);

    public sealed record Skip(string Path, string? Reason, string Kind);

    public sealed record FileEntry(string Path, string? DocumentId, string? SourceName, IngestionOutcome Outcome, int Chunks);

    /// <summary>Chunks the embedding model embedded in this run.</summary>
    public int EmbeddedChunks { get; init; }

    /// <summary>Chunks whose vectors were reused (same text already stored or embedded earlier in the run).</summary>
    public int ReusedChunks { get; init; }

    /// <summary>Skipped files grouped by reason (unsupported types per extension).</summary>
    public IReadOnlyList<SkipSummary.Group> SkippedByReason { get; init; } = [];

    /// <summary>Files found but not finished because the run was stopped (see <see cref="Error"/>).</summary>
    public int Unfinished { get; init; }

    /// <summary>Why the run stopped early (a full disk, a store locked by another process); null when it finished.</summary>
    public string? Error { get; init; }

    public static IngestReport From(IngestionSummary summary, string? error = null) => new(
        summary.Added, summary.Replaced, summary.Unchanged, summary.Removed, summary.Chunks,
        summary.Files.Where(f => f.Outcome == IngestionOutcome.Failed).Select(f => new Failure(f.Path, f.DocumentId, f.Reason, f.FailedBefore)).ToList(),
        summary.Files.Where(f => f.Outcome == IngestionOutcome.Skipped).Select(f => new Skip(f.Path, f.Reason, f.Skip.ToString())).ToList(),
        summary.Files.Where(f => f.Outcome is not (IngestionOutcome.Failed or IngestionOutcome.Skipped))
            .Select(f => new FileEntry(f.Path, f.DocumentId, f.SourceName, f.Outcome, f.Chunks)).ToList())
    {
        EmbeddedChunks = summary.EmbeddedChunks,
        ReusedChunks = summary.ReusedChunks,
        SkippedByReason = SkipSummary.From(summary.Files).Groups,
        Unfinished = summary.Unfinished,
        Error = error,
    };
}

using KnowledgeQa.Retrieval.Ingestion;

namespace KnowledgeQa.Plugins.Results;

/// <summary>The JSON shape of an ingest run: `kqa ingest --json` and the HTTP upload answer.</summary>
public sealed record IngestReport(
    int Added, int Replaced, int Unchanged, int Chunks,
    IReadOnlyList<IngestReport.FileProblem> Failed,
    IReadOnlyList<IngestReport.FileProblem> Skipped,
    IReadOnlyList<IngestReport.FileEntry> Documents)
{
    public sealed record FileProblem(string Path, string? Reason);
    public sealed record FileEntry(string Path, string? DocumentId, IngestionOutcome Outcome, int Chunks);

    public static IngestReport From(IngestionSummary summary) => new(
        summary.Added, summary.Replaced, summary.Unchanged, summary.Chunks,
        summary.Files.Where(f => f.Outcome == IngestionOutcome.Failed).Select(f => new FileProblem(f.Path, f.Reason)).ToList(),
        summary.Files.Where(f => f.Outcome == IngestionOutcome.Skipped).Select(f => new FileProblem(f.Path, f.Reason)).ToList(),
        summary.Files.Where(f => f.Outcome is not (IngestionOutcome.Failed or IngestionOutcome.Skipped))
            .Select(f => new FileEntry(f.Path, f.DocumentId, f.Outcome, f.Chunks)).ToList());
}

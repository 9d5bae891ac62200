using System.Globalization;
using System.Text.Json;
using KnowledgeQa.Cli.Infrastructure;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Ingestion;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// What kqa ingest prints: one summary line, new failures one per line, old failures and skipped
/// files as counts (one per line with --verbose), or the JSON report. Watch mode prints a line per
/// sync that changed something.
/// </summary>
public sealed class IngestOutput(bool json, bool verbose, TextWriter? writer = null)
{
    private readonly TextWriter _out = writer ?? Console.Out;

    public bool Json => json;

    public void Write(IngestionSummary summary, string? error = null)
    {
        if (json)
        {
            _out.WriteLine(JsonSerializer.Serialize(IngestReport.From(summary, error), CliJson.Options));
            return;
        }
        foreach (var line in Lines(summary))
            _out.WriteLine(line);
    }

    /// <summary>One watch sync: the full summary at the start, then a line per sync that changed the store or found a problem.</summary>
    public void WriteSync(FolderSyncResult sync)
    {
        if (json)
        {
            var report = sync.Summary is null ? null : IngestReport.From(sync.Summary, sync.Error?.Message);
            _out.WriteLine(JsonSerializer.Serialize(new { folder = sync.Folder, trigger = sync.Trigger, report, error = sync.Error?.Message }, CompactJson));
            return;
        }
        if (sync.Error is not null)
            Console.Error.WriteLine($"kqa: error: {TerminalText.Line(sync.Error.Message)}");
        if (sync.Summary is not { } summary)
            return;
        if (sync.Trigger == WatchTrigger.Start)
        {
            Write(summary);
            return;
        }
        if (summary.Added + summary.Replaced + summary.Removed + summary.NewFailures == 0)
            return;
        var time = DateTimeOffset.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        _out.WriteLine($"[{time}] {TerminalText.Line(sync.Folder)}: {Counts(summary)}");
        foreach (var line in Lines(summary).Skip(1))
            _out.WriteLine(line);
    }

    public IEnumerable<string> Lines(IngestionSummary summary)
    {
        yield return Counts(summary);
        foreach (var file in summary.Files.Where(f => f.Outcome == IngestionOutcome.Failed && (verbose || !f.FailedBefore)))
            yield return $"  failed{(file.FailedBefore ? " (as before)" : "")}: {TerminalText.Line(file.Path)}: {TerminalText.Line(file.Reason)}";
        var knownFailures = summary.Files.Count(f => f.Outcome == IngestionOutcome.Failed && f.FailedBefore);
        if (knownFailures > 0 && !verbose)
            yield return $"  {knownFailures} failed as before (files unchanged since they last failed; --verbose lists them)";
        if (SkipSummary.From(summary.Files).ToLine() is { } skipped)
            yield return verbose ? skipped : skipped + " (--verbose lists them)";
        if (verbose)
        {
            foreach (var file in summary.Files.Where(f => f.Outcome == IngestionOutcome.Skipped))
                yield return $"  skipped: {TerminalText.Line(file.Path)}: {TerminalText.Line(file.Reason)}";
            foreach (var file in summary.Files.Where(f => f.Outcome == IngestionOutcome.Removed))
                yield return $"  removed: {TerminalText.Line(file.DocumentId)} (file gone: {TerminalText.Line(file.Path)})";
        }
        if (summary.Unfinished > 0)
            yield return $"  {summary.Unfinished} files not finished: the run stopped (see the error below)";
    }

    private static string Counts(IngestionSummary summary) => string.Create(CultureInfo.InvariantCulture,
        $"{summary.Added} added, {summary.Replaced} replaced, {summary.Unchanged} unchanged, {summary.Removed} removed, " +
        $"{summary.Failed} failed, {summary.Skipped} skipped ({summary.Chunks} chunks written: {summary.EmbeddedChunks} embedded, {summary.ReusedChunks} reused)");

    private static readonly JsonSerializerOptions CompactJson = new(CliJson.Options) { WriteIndented = false };
}

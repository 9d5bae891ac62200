using System.Globalization;
using KnowledgeQa.Retrieval.Ingestion;
using Spectre.Console;

namespace KnowledgeQa.Cli.Commands;

/// <summary>
/// Shows an ingest's progress by the work that costs time (chunks to embed), not by files: a
/// progress bar with a time estimate on a terminal, periodic lines on stderr otherwise (logs, CI).
/// </summary>
public static class IngestProgressDisplay
{
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(10);

    public static async Task<IngestionSummary> RunAsync(bool json, Func<IProgress<IngestionProgress>, Task<IngestionSummary>> ingest)
    {
        if (json || Console.IsOutputRedirected || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return await ingest(new ProgressLines(Console.Error, LineInterval, TimeProvider.System));

        IngestionSummary? summary = null;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("Ingesting", maxValue: 1);
                summary = await ingest(new Progress<IngestionProgress>(p =>
                {
                    // Work = chunks to embed (known plus estimated); files only until a first file is read.
                    if (p.ChunksLeft is { } left && p.ChunksEmbedded + left > 0)
                    {
                        task.MaxValue = p.ChunksEmbedded + left;
                        task.Value = p.ChunksEmbedded;
                    }
                    else
                    {
                        task.MaxValue = Math.Max(1, p.FilesTotal);
                        task.Value = p.FilesDone;
                    }
                    task.Description = $"Ingesting {p.FilesDone}/{p.FilesTotal} files ({p.ChunksEmbedded} chunks embedded)";
                }));
            });
        return summary!;
    }
}

/// <summary>
/// Progress as a line on a writer at most every <paramref name="interval"/>: files done, chunks
/// embedded and left, and the time left at the embedding rate seen so far.
/// </summary>
public sealed class ProgressLines(TextWriter writer, TimeSpan interval, TimeProvider time) : IProgress<IngestionProgress>
{
    private readonly object _lock = new();
    private readonly DateTimeOffset _start = time.GetUtcNow();
    private DateTimeOffset _lastLine = time.GetUtcNow();

    public void Report(IngestionProgress value)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (now - _lastLine < interval)
                return;
            _lastLine = now;
        }
        writer.WriteLine(Describe(value, now - _start));
    }

    public static string Describe(IngestionProgress progress, TimeSpan elapsed)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"kqa: ingest: {progress.FilesDone:N0}/{progress.FilesTotal:N0} files, {progress.ChunksEmbedded:N0} chunks embedded");
        if (progress.ChunksLeft is not { } left)
            return line;
        line += string.Create(CultureInfo.InvariantCulture, $", about {left:N0} to go");
        if (progress.ChunksEmbedded > 0 && elapsed > TimeSpan.Zero && left > 0)
        {
            var remaining = TimeSpan.FromSeconds(left / (progress.ChunksEmbedded / elapsed.TotalSeconds));
            line += $" (~{Format(remaining)} left)";
        }
        return line;
    }

    private static string Format(TimeSpan span) => span.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes:00}m")
        : span.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m {span.Seconds:00}s")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)span.TotalSeconds)}s");
}

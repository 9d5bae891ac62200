using KnowledgeQa.Cli.Commands;
using KnowledgeQa.Retrieval.Ingestion;

namespace KnowledgeQa.Cli.Tests;

/// <summary>Progress lines for logs: at most one per interval, by chunks to embed, with the time left at the rate so far.</summary>
public sealed class ProgressLinesTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static IngestionProgress Progress(int done, int embedded, int? left) =>
        new(done, 100, embedded, new IngestionFileResult("a.md", "docs/a.md", IngestionOutcome.Added, 3)) { ChunksLeft = left };

    [Fact]
    public void A_line_is_written_at_most_once_per_interval()
    {
        var time = new ManualTime();
        var writer = new StringWriter();
        var lines = new ProgressLines(writer, TimeSpan.FromSeconds(10), time);

        lines.Report(Progress(1, 10, 990));
        time.Now += TimeSpan.FromSeconds(5);
        lines.Report(Progress(2, 20, 980));
        time.Now += TimeSpan.FromSeconds(6);
        lines.Report(Progress(3, 110, 890));
        time.Now += TimeSpan.FromSeconds(1);
        lines.Report(Progress(4, 120, 880));

        var written = writer.ToString().Trim().Split('\n');
        var line = Assert.Single(written).Trim();
        // 110 chunks in 11 s is 10 chunks/s: 890 left is about 89 s.
        Assert.Equal("kqa: ingest: 3/100 files, 110 chunks embedded, about 890 to go (~1m 29s left)", line);
    }

    [Fact]
    public void Without_an_estimate_yet_only_the_counts_are_shown()
    {
        Assert.Equal("kqa: ingest: 0/100 files, 0 chunks embedded", ProgressLines.Describe(Progress(0, 0, null), TimeSpan.FromSeconds(3)));
        Assert.Equal("kqa: ingest: 5/100 files, 1,000 chunks embedded, about 7,200 to go (~2h 00m left)",
            ProgressLines.Describe(Progress(5, 1000, 7200), TimeSpan.FromSeconds(1000)));
    }
}

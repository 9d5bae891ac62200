using System.Diagnostics;
using KnowledgeQa.Retrieval.Diagnostics;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;

namespace KnowledgeQa.Bench;

/// <summary>
/// The store benchmark's diagnostics (--profile): dense recall against latency for several probe
/// and rescore settings, where a hybrid search spends its time (from the store's own spans), and
/// the slowest lexical queries with their terms' document frequencies.
/// </summary>
internal static class StoreProfile
{
    private const int Top = 10;

    public static async Task RunAsync(string path, StoreQueries queries, StoreReference reference, int size)
    {
        await SweepDenseAsync(path, queries, reference);
        await using var store = await StoreBenchmark.OpenAsync(path);
        await HybridBreakdownAsync(store, queries.English, "hybrid en");
        await HybridBreakdownAsync(store, queries.Chinese, "hybrid zh");
        await SlowestLexicalAsync(store, queries.All, size);
    }

    /// <summary>Recall@10 (en / zh) and dense p50 for a grid of scan shares and rescore counts.</summary>
    private static async Task SweepDenseAsync(string path, StoreQueries queries, StoreReference reference)
    {
        var defaults = new SearchIndexOptions();
        // Scan share (at least rows), rescore factor (extra), whether a scan that large is split across
        // the cores, and the 4-bit first pass's shortlist factor (1: the int8 codes are scanned).
        // (The int8-scan rows of earlier rounds are in docs/quality.md; the 4-bit first pass is the default since the fifth round.)
        var grid = new List<(double Fraction, int MinimumRows, int Factor, int Extra, bool Parallel, int Shortlist, bool FourRows)>
        {
            (0.20, 16_384, 2, 40, true, 8, true),
            (0.25, 16_384, 2, 40, false, 8, true),
            (0.30, 16_384, 2, 40, true, 8, true),
            (defaults.FractionToScan, defaults.MinimumRowsToScan, defaults.RescoreFactor, defaults.RescoreExtra, defaults.ParallelScanRows != int.MaxValue, defaults.ShortlistFactor, true),
            // The default again, one row at a time: what scoring four rows at once saves.
            (defaults.FractionToScan, defaults.MinimumRowsToScan, defaults.RescoreFactor, defaults.RescoreExtra, defaults.ParallelScanRows != int.MaxValue, defaults.ShortlistFactor, false),
        };
        Console.WriteLine("   dense sweep: scan share (min rows), rescore factor (extra), one core or all, first pass -> recall@10 en / zh, p50 / p99 ms wall, p50 CPU ms");
        foreach (var (fraction, minimumRows, factor, extra, parallel, shortlist, fourRows) in grid.Distinct())
        {
            var options = new SearchIndexOptions
            {
                FractionToScan = fraction, MinimumRowsToScan = minimumRows, RescoreFactor = factor, RescoreExtra = extra,
                ParallelScanRows = parallel ? defaults.ParallelScanRows : int.MaxValue, ShortlistFactor = shortlist, FourRowsAtOnce = fourRows, RebuildInBackground = false,
            };
            await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path }, options);
            await store.InitializeAsync(StoreCorpus.Dimensions, "all-MiniLM-L6-v2");
            var recall = new double[2];
            var latencies = new List<double>();
            foreach (var (list, slot) in new[] { (queries.English, 0), (queries.Chinese, 1) })
            {
                double found = 0, wanted = 0;
                foreach (var query in list)
                {
                    var exact = reference.Dense(query.Normalized, Top, null).Select(h => h.Chunk).ToHashSet();
                    var start = Stopwatch.GetTimestamp();
                    var hits = await store.SearchAsync(query.As(SearchMode.Dense, Top));
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    found += hits.Count(h => exact.Contains(StoreBenchmark.ChunkNumber(h)));
                    wanted += exact.Count;
                }
                recall[slot] = found / wanted;
            }
            // The first pass warmed up; time a second.
            latencies.Clear();
            var cpu = new List<double>();
            foreach (var query in queries.All)
            {
                var (start, cpuStart) = (Stopwatch.GetTimestamp(), CpuClock.ProcessMilliseconds());
                await store.SearchAsync(query.As(SearchMode.Dense, Top));
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                cpu.Add(CpuClock.ProcessMilliseconds() - cpuStart);
            }
            var (p50, p99) = StoreBenchmark.Percentiles(latencies);
            var cores = parallel ? $", split across the cores from {defaults.ParallelScanRows:N0} rows" : ", one core";
            var pass = (shortlist > 1 ? $", 4-bit first pass keeping {shortlist}x" : ", int8 scan") + (fourRows ? "" : ", one row at a time");
            Console.WriteLine($"     {fraction:P0} ({minimumRows:N0}), x{factor} (+{extra}){cores}{pass} -> {recall[0]:F3} / {recall[1]:F3}, {p50:F2} / {p99:F2} ms, CPU p50 {StoreBenchmark.Percentiles(cpu).P50:F2} ms");
        }
    }

    /// <summary>Mean time per hybrid query in each of the store's spans, and the rest (connection, filter, scores of fused hits, loading hits).</summary>
    private static async Task HybridBreakdownAsync(IKnowledgeStore store, IReadOnlyList<StoreQueries.Query> queries, string name)
    {
        var spans = new Dictionary<string, double>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RetrievalTelemetry.StorageSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans[activity.OperationName] = spans.GetValueOrDefault(activity.OperationName) + activity.Duration.TotalMilliseconds;
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var total = 0.0;
        foreach (var query in queries)
        {
            var start = Stopwatch.GetTimestamp();
            await store.SearchAsync(query.As(SearchMode.Hybrid, Top));
            total += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        var inSpans = spans.Values.Sum();
        Console.WriteLine($"   {name} breakdown, mean ms per query: total {total / queries.Count:F2}; " +
                          string.Join("; ", spans.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value / queries.Count:F2}")) +
                          $"; outside the spans {(total - inSpans) / queries.Count:F2}");
    }

    /// <summary>The five slowest lexical queries: their time, term count and the largest document frequencies.</summary>
    private static async Task SlowestLexicalAsync(EmbeddedKnowledgeStore store, IReadOnlyList<StoreQueries.Query> queries, int size)
    {
        var timed = new List<(double Ms, StoreQueries.Query Query)>();
        foreach (var query in queries)
        {
            var best = double.MaxValue;
            for (var run = 0; run < 2; run++)
            {
                var start = Stopwatch.GetTimestamp();
                await store.SearchAsync(query.As(SearchMode.Lexical, Top));
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            timed.Add((best, query));
        }
        Console.WriteLine($"   slowest lexical queries at {size:N0} chunks (best of 2 runs):");
        foreach (var (ms, query) in timed.OrderByDescending(t => t.Ms).Take(5))
        {
            var weighed = store.SearchIndex.Read(index => index.Weigh(query.Sparse));
            var frequencies = store.SearchIndex.Read(index => weighed.Terms.Select(t => index.DocumentFrequencyOf(t.Term)).OrderDescending().Take(5).ToList());
            Console.WriteLine($"     {ms,7:F2} ms  {weighed.Terms.Count} terms, largest df {string.Join(", ", frequencies)}: {Shorten(query.Text)}");
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}

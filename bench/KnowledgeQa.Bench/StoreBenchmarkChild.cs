using System.Diagnostics;
using System.Globalization;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;

namespace KnowledgeQa.Bench;

/// <summary>
/// The parts of the store benchmark that need a fresh process: the first search on a store
/// (which builds its index file), and a later open, which measures the first query after opening,
/// resident memory after answering queries, and catching up when another process (the parent)
/// writes one document meanwhile.
/// </summary>
internal static class StoreBenchmarkChild
{
    /// <summary>Runs a child and returns its result line; <paramref name="onReady"/> runs when the child asks for the parent's write.</summary>
    public static async Task<string> SpawnAsync(string role, string path, string data, string cache, int perLanguage, Func<Task>? onReady)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(StoreBenchmarkChild).Assembly.Location);
        }
        foreach (var argument in new[]
        {
            "store", "--child", role, "--path", path, "--data", data, "--cache", cache,
            "--queries", perLanguage.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }
        using var child = Process.Start(start)!;
        var result = "";
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "ready" && onReady is not null)
            {
                await onReady();
                await child.StandardInput.WriteLineAsync("go");
                await child.StandardInput.FlushAsync();
            }
            else if (line.StartsWith("result: ", StringComparison.Ordinal))
            {
                result = line["result: ".Length..];
            }
            else if (line.StartsWith("   ", StringComparison.Ordinal))
            {
                Console.WriteLine(line);
            }
        }
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"the '{role}' child process failed (exit code {child.ExitCode})");
        }
        return result;
    }

    public static async Task RunAsync(string role, string[] options)
    {
        var path = BenchArgs.String(options, "--path")!;
        // Only the questions: the corpus itself would add to this process's memory.
        var questions = await StoreCorpus.LoadQueriesAsync(BenchArgs.String(options, "--data")!, BenchArgs.String(options, "--cache")!);
        var queries = StoreQueries.From(questions, BenchArgs.Int(options, "--queries", 200));
        var timer = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        await using var store = await StoreBenchmark.OpenAsync(path);
        await store.SearchAsync(queries.English[0].As(SearchMode.Hybrid, 10));
        var first = timer.Elapsed;
        // On a loaded machine the wall time mostly measures waiting for a core; the CPU time is what opening costs.
        var firstCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var statistics = store.SearchIndex.Statistics;
        if (role == "build")
        {
            var file = IndexFile.TryOpen(store.SearchIndex.IndexPath);
            var sizes = file is null
                ? "no index file (all in memory)"
                : $"index file {file.Length / 1e6:N0} MB: vectors and lists {file.Header.DenseBytes / 1e6:N0} MB, postings {file.Header.LexicalBytes / 1e6:N0} MB";
            file?.Dispose();
            Console.WriteLine($"result: {first.TotalSeconds:F1} s, {firstCpu.TotalSeconds:F1} CPU-s ({sizes})");
            return;
        }

        // Answer queries of every kind, as a process that has served a while.
        var answered = 0;
        foreach (var query in queries.All)
        {
            foreach (var mode in Enum.GetValues<SearchMode>())
            {
                await store.SearchAsync(query.As(mode, 10));
                await store.SearchAsync(query.As(mode, 10) with { Filter = new SearchFilter { Tags = ["t7"] } });
                answered += 2;
            }
        }
        var resident = Resident();
        var file2 = IndexFile.TryOpen(store.SearchIndex.IndexPath);
        var stats = await store.GetStatisticsAsync();
        var raw = (double)stats.Chunks * StoreCorpus.Dimensions * sizeof(float);
        var lexical = file2?.Header.LexicalBytes ?? 0;
        file2?.Dispose();
        var budget = raw + lexical;

        Console.WriteLine("ready");
        await Console.In.ReadLineAsync();
        var (loads, built, caughtUp) = (statistics.FullLoads, statistics.FilesBuilt, statistics.ChunksCaughtUp);
        timer.Restart();
        await store.SearchAsync(queries.English[1].As(SearchMode.Hybrid, 10));
        var catchUp = timer.Elapsed;
        Console.WriteLine($"result: first query {first.TotalMilliseconds:N0} ms ({firstCpu.TotalMilliseconds:N0} ms CPU) after opening; resident {resident.Total / 1e6:N0} MB " +
                          $"(anonymous {resident.Anonymous / 1e6:N0}, file-backed {resident.File / 1e6:N0}) after {answered:N0} queries = " +
                          $"{resident.Total / budget:F2}x of raw float32 vectors + lexical index ({raw / 1e6:N0} + {lexical / 1e6:N0} MB; goal <= 0.6x); " +
                          $"another process wrote one document: caught up in {catchUp.TotalMilliseconds:N0} ms reading {statistics.ChunksCaughtUp - caughtUp} chunks, " +
                          $"full loads +{statistics.FullLoads - loads}, files built +{statistics.FilesBuilt - built}");
    }

    /// <summary>Resident memory from /proc (Linux): total, anonymous (heap) and file-backed (mapped index pages).</summary>
    private static (double Total, double Anonymous, double File) Resident()
    {
        if (!File.Exists("/proc/self/status"))
        {
            var process = Process.GetCurrentProcess();
            return (process.WorkingSet64, double.NaN, double.NaN);
        }
        var fields = File.ReadLines("/proc/self/status")
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2 && p[1].TrimEnd().EndsWith("kB", StringComparison.Ordinal))
            .ToDictionary(p => p[0], p => double.Parse(p[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024);
        return (fields["VmRSS"], fields.GetValueOrDefault("RssAnon"), fields.GetValueOrDefault("RssFile"));
    }
}

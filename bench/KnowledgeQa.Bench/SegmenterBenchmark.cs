using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using JiebaNet.Segmenter;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Lexical.Jieba;

namespace KnowledgeQa.Bench;

/// <summary>
/// Chinese word segmentation, ours (<see cref="JiebaCutter"/>) against jieba.NET, the package it
/// replaced, in the same run: the cold cost of a process's first Chinese word (fresh processes,
/// alternating, medians), the managed memory the dictionary keeps, and the warm throughput over
/// the Han runs of the DRCD and CMRC 2018 passages, with a count of cuts that differ (must be 0).
/// Run: segmenter [--runs 7] [--data DATA].
/// </summary>
internal static class SegmenterBenchmark
{
    public const string ProbeCommand = "segmenter-probe";
    private const string Question = "電池充滿電需要多久";
    private static readonly string[] Implementations = ["jieba.NET", "ours"];

    public static async Task RunAsync(string[] options)
    {
        var runs = BenchArgs.Int(options, "--runs", 7);
        var folder = Path.Combine(AppContext.BaseDirectory, ChineseWordSegmenter.DictionaryFolderName);
        Console.WriteLine($"load average at start: {LoadAverage.Read()}");

        var cold = Implementations.ToDictionary(name => name, _ => new List<ProbeResult>());
        for (var r = 0; r < runs; r++)
        {
            foreach (var name in r % 2 == 0 ? Implementations : Implementations.Reverse())
            {
                cold[name].Add(await ProbeAsync(name, folder));
            }
        }
        Console.WriteLine($"First Chinese word in a fresh process (load the dictionary and model, cut '{Question}'; median of {runs}, JIT-compiled):");
        Console.WriteLine("| segmenter | wall ms | CPU ms | managed heap after load (MB) |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var name in Implementations)
        {
            Console.WriteLine($"| {name} | {Stats.Median(cold[name].Select(p => p.Ms)):0} | {Stats.Median(cold[name].Select(p => p.CpuMs)):0} | {Stats.Median(cold[name].Select(p => p.HeapMb)):0} |");
        }
        Console.WriteLine($"ratio: {Stats.Median(cold["jieba.NET"].Select(p => p.CpuMs)) / Stats.Median(cold["ours"].Select(p => p.CpuMs)):F2}x less CPU, " +
                          $"{Stats.Median(cold["jieba.NET"].Select(p => p.HeapMb)) / Stats.Median(cold["ours"].Select(p => p.HeapMb)):F2}x less heap");

        var data = BenchArgs.String(options, "--data") ?? Path.Combine("..", "shared", "data");
        var runsOfHan = ReadHanRuns(data);
        if (runsOfHan.Count == 0)
        {
            Console.WriteLine($"warm throughput: skipped, no DRCD or CMRC 2018 passages under {Path.GetFullPath(data)} (--data DATA)");
            return;
        }
        ConfigManager.ConfigFileBaseDir = folder;
        var reference = new JiebaSegmenter();
        var ours = new JiebaCutter(
            JiebaDictionary.Load(Path.Combine(folder, "dict.txt")),
            () => JiebaHmm.Load(Path.Combine(folder, "prob_trans.json"), Path.Combine(folder, "prob_emit.json")));
        var differing = runsOfHan.Count(run => !reference.Cut(run, cutAll: false, hmm: true).SequenceEqual(ours.Cut(run)));
        var characters = runsOfHan.Sum(run => run.Length);
        var times = Implementations.ToDictionary(name => name, _ => new List<double>());
        for (var r = 0; r < 3; r++)
        {
            times["jieba.NET"].Add(Time(() => { foreach (var run in runsOfHan) reference.Cut(run, cutAll: false, hmm: true); }));
            times["ours"].Add(Time(() => { foreach (var run in runsOfHan) ours.Cut(run); }));
        }
        Console.WriteLine($"Warm throughput over {runsOfHan.Count:N0} Han runs ({characters:N0} characters) of the DRCD and CMRC 2018 passages, folded to Simplified (median of 3):");
        foreach (var name in Implementations)
        {
            Console.WriteLine($"  {name}: {characters / Stats.Median(times[name]) / 1e6:F2} M characters/s");
        }
        Console.WriteLine($"ratio: {Stats.Median(times["jieba.NET"]) / Stats.Median(times["ours"]):F2}x; cuts that differ from jieba.NET's: {differing}");
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    /// <summary>The child process: loads one segmenter, cuts the question, prints what it cost.</summary>
    public static int Probe(string[] args)
    {
        var (name, folder) = (args[0], args[1]);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        int words;
        object keepAlive;
        if (name == "ours")
        {
            var cutter = new JiebaCutter(
                JiebaDictionary.Load(Path.Combine(folder, "dict.txt")),
                () => JiebaHmm.Load(Path.Combine(folder, "prob_trans.json"), Path.Combine(folder, "prob_emit.json")));
            words = cutter.Cut(ChineseScriptFolding.ToSimplified(Question)).Count;
            keepAlive = cutter;
        }
        else
        {
            ConfigManager.ConfigFileBaseDir = folder;
            var segmenter = new JiebaSegmenter();
            words = segmenter.Cut(ChineseScriptFolding.ToSimplified(Question), cutAll: false, hmm: true).Count();
            keepAlive = segmenter;
        }
        var ms = clock.Elapsed.TotalMilliseconds;
        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var heapMb = GC.GetTotalMemory(forceFullCollection: true) / 1e6;
        GC.KeepAlive(keepAlive);
        Console.WriteLine(JsonSerializer.Serialize(new ProbeResult(ms, cpuMs, heapMb, words)));
        return 0;
    }

    private static async Task<ProbeResult> ProbeAsync(string name, string folder)
    {
        var output = await ProbeProcess.RunAsync(ProbeCommand, name, folder);
        return JsonSerializer.Deserialize<ProbeResult>(output)!;
    }

    private static List<string> ReadHanRuns(string data)
    {
        var result = new List<string>();
        foreach (var set in new[] { "drcd", "cmrc2018" })
        {
            var file = Path.Combine(data, set, "contexts.jsonl");
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file).Where(line => line.Length > 0))
            {
                var text = JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!;
                var run = new StringBuilder();
                foreach (var rune in (text + "\n").EnumerateRunes())
                {
                    if (HanCharacters.IsHan(rune))
                    {
                        run.Append(rune.ToString());
                    }
                    else if (run.Length > 0)
                    {
                        result.Add(ChineseScriptFolding.ToSimplified(run.ToString()));
                        run.Clear();
                    }
                }
            }
        }
        return result;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private sealed record ProbeResult(double Ms, double CpuMs, double HeapMb, int Words);
}

// A plain benchmark harness: each suite measures ours against a baseline in the same process and
// prints ratios. Run: dotnet run -c Release --project bench/KnowledgeQa.Bench -- [suite...]
using KnowledgeQa.Bench;

if (args.Length > 0 && args[0] == StartupProbe.Command)
    return await StartupProbe.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == SegmenterBenchmark.ProbeCommand)
    return SegmenterBenchmark.Probe(args[1..]);

var suites = new Dictionary<string, Func<string[], Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["embedding"] = EmbeddingBenchmark.RunAsync,
    ["ingest"] = IngestBenchmark.RunAsync,
    ["quality"] = QualityCheck.RunSuiteAsync,
    ["store"] = StoreBenchmark.RunAsync,
    ["readers"] = ReaderBenchmark.RunAsync,
    ["classify"] = ClassificationBenchmark.RunAsync,
    ["startup"] = StartupBenchmark.RunAsync,
    ["reembed"] = ReembedBenchmark.RunAsync,
    ["graph"] = GraphInspection.RunAsync,
    ["variants"] = GraphVariants.RunAsync,
    ["segmenter"] = SegmenterBenchmark.RunAsync,
};

var selected = args.Length == 0 ? suites.Keys.ToArray() : args.TakeWhile(a => !a.StartsWith("--")).ToArray();
var options = args.SkipWhile(a => !a.StartsWith("--")).ToArray();
foreach (var name in selected)
{
    if (!suites.TryGetValue(name, out var run))
    {
        Console.Error.WriteLine($"unknown suite '{name}'; choose from: {string.Join(", ", suites.Keys)}");
        return 2;
    }
    Console.WriteLine($"== {name} ==");
    await run(options);
}
return 0;

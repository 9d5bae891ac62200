using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Bench;

/// <summary>
/// Accuracy and macro-F1 of every classification method on the classification sets of the shared data
/// (development halves, split per file into train/test with a fixed seed), plus batch throughput.
/// Run: dotnet run -c Release --project bench/KnowledgeQa.Bench -- classify --data DIR [--sets a,b] [--max N] [--seed S]
/// </summary>
internal static class ClassificationBenchmark
{
    private static readonly int[] ShotCounts = [8, 16, 32];

    private sealed record DataSet(string Name, IReadOnlyList<LabelDefinition> Descriptions, bool Sentiment);

    private static readonly DataSet[] Sets =
    [
        new("sst2", [
            new("negative", "A negative movie review: the film is bad, boring, dull, stupid and a waste of time."),
            new("positive", "A positive movie review: the film is good, enjoyable, moving, funny and worth watching.")], true),
        new("ag-news", [
            new("World", "World news: international politics, governments, wars, diplomacy and elections."),
            new("Sports", "Sports news: games, teams, players, coaches, matches and tournaments."),
            new("Business", "Business news: companies, markets, stocks, the economy, earnings and oil prices."),
            new("Sci/Tech", "Science and technology news: computers, software, the internet, space and research.")], false),
        new("chnsenticorp-htl", [
            new("negative", "差评：酒店很差，房间脏，服务不好，很失望，不推荐。"),
            new("positive", "好评：酒店很好，房间干净，服务热情，很满意，推荐。")], true),
        new("waimai-10k", [
            new("negative", "差评：送餐太慢，饭菜凉了，难吃，很失望。"),
            new("positive", "好评：送餐很快，好吃，味道不错，很满意。")], true),
    ];

    public static async Task RunAsync(string[] options)
    {
        var dataDirectory = Option(options, "--data") ?? Environment.GetEnvironmentVariable("KQA_DATA")
            ?? throw new ArgumentException("Pass --data DIR (the folder holding sst2/, ag-news/, ...).");
        var only = Option(options, "--sets")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var max = int.TryParse(Option(options, "--max"), out var m) ? m : int.MaxValue;
        var seed = int.TryParse(Option(options, "--seed"), out var s) ? s : 13;
        var testFraction = double.TryParse(Option(options, "--test-fraction"), CultureInfo.InvariantCulture, out var f) ? f : 0.5;

        using var model = new OnnxEmbeddingGenerator();
        var total = Stopwatch.StartNew();
        var table = new List<string>();
        foreach (var set in Sets.Where(x => only is null || only.Contains(x.Name, StringComparer.OrdinalIgnoreCase)))
        {
            var path = Path.Combine(dataDirectory, set.Name, "examples.jsonl");
            var examples = Read(path);
            if (examples.Count > max) examples = StratifiedSplit.Split(examples, e => e.Label, 1 - (double)max / examples.Count, seed).First;
            var (train, test) = StratifiedSplit.Split(examples, e => e.Label, testFraction, seed);
            Console.WriteLine($"-- {set.Name}: {examples.Count} examples ({train.Count} train / {test.Count} test), labels {string.Join(", ", train.Select(t => t.Label).Distinct().Order())}");

            using var cached = new MemoryCachedEmbeddingGenerator(model);
            var clock = Stopwatch.StartNew();
            await cached.GenerateAsync(examples.Select(e => e.Text).ToArray());
            Console.WriteLine($"   embedded {cached.Count} distinct texts in {clock.Elapsed.TotalSeconds:F1} s ({cached.Count / clock.Elapsed.TotalSeconds:F0} texts/s)");

            var progress = new ConsoleProgress<MethodEvaluation>(e => Console.WriteLine(
                $"   {e.Method,-44} acc {e.Accuracy:P1} (±{e.AccuracySpread:P1})  macro-F1 {e.MacroF1:P1}  build {e.BuildTime.TotalSeconds:F2}s  classify {e.TestCount / Math.Max(e.ClassifyTime.TotalSeconds, 1e-6):F0}/s"));
            var results = await new ClassificationEvaluator().EvaluateAsync(train, test, Methods(set, cached), progress);
            foreach (var r in results)
                table.Add($"| {set.Name} | {r.Method} | {r.Accuracy * 100:F1}{(r.Repeats > 1 ? $" ± {r.AccuracySpread * 100:F1}" : "")} | {r.MacroF1 * 100:F1} |");
        }

        Console.WriteLine();
        Console.WriteLine("| set | method | accuracy % | macro-F1 % |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var row in table) Console.WriteLine(row);
        Console.WriteLine();
        Console.WriteLine($"evaluation took {total.Elapsed.TotalSeconds:F0} s");

        await ThroughputAsync(model, Path.Combine(dataDirectory, "sst2", "examples.jsonl"));
    }

    private static IEnumerable<ClassificationMethod> Methods(DataSet set, IEmbeddingGenerator<string, Embedding<float>> embedder)
    {
        yield return new("majority class", (train, _, _) => Task.FromResult<ITextClassifier>(new MajorityClassClassifier(train)));
        yield return new("bag-of-words logistic regression", async (train, _, ct) =>
            await TextClassifierTrainer.TrainAsync(train, null, new TextClassifierTrainingOptions { UseEmbeddings = false, Lexical = LexicalFeatureMode.On }, ct));
        yield return new("zero-shot, label names", async (train, _, ct) =>
            await ZeroShotClassifier.CreateAsync(embedder, LabelDefinition.FromNames(set.Descriptions.Select(d => d.Name)), cancellationToken: ct));
        yield return new("zero-shot, label descriptions", async (train, _, ct) =>
            await ZeroShotClassifier.CreateAsync(embedder, set.Descriptions, cancellationToken: ct));
        foreach (var method in new[] { FewShotMethod.NearestCentroid, FewShotMethod.NearestNeighbours })
            foreach (var shots in ShotCounts)
                yield return new($"few-shot {(method == FewShotMethod.NearestCentroid ? "centroid" : "k-NN")}, {shots}/label", async (train, repeat, ct) =>
                    await FewShotClassifier.CreateAsync(embedder, StratifiedSplit.SamplePerLabel(train, t => t.Label, shots, seed: repeat),
                        new FewShotOptions { Method = method }, ct), Repeats: 5);
        yield return new("trained head, embeddings", async (train, _, ct) =>
            await TextClassifierTrainer.TrainAsync(train, embedder, new TextClassifierTrainingOptions { Lexical = LexicalFeatureMode.Off }, ct));
        yield return new("trained head, embeddings + n-grams", async (train, _, ct) =>
            await TextClassifierTrainer.TrainAsync(train, embedder, new TextClassifierTrainingOptions { Lexical = LexicalFeatureMode.On }, ct));
        yield return new("trained head, auto (default)", async (train, _, ct) =>
            await TextClassifierTrainer.TrainAsync(train, embedder, new TextClassifierTrainingOptions(), ct));
        if (!set.Sentiment) yield break;
        // The preset is never trained: the training half goes unused. "neutral" answers count as errors
        // in the first row (the sets have no neutral gold); the second row turns the neutral band off.
        yield return new("sentiment preset (no training)", async (_, _, ct) =>
            await SentimentClassifier.CreateAsync(embedder, cancellationToken: ct));
        yield return new("sentiment preset, neutral off", async (_, _, ct) =>
            await SentimentClassifier.CreateAsync(embedder, new SentimentOptions { NeutralMargin = 0 }, ct));
    }

    private static async Task ThroughputAsync(IEmbeddingGenerator<string, Embedding<float>> model, string path)
    {
        if (!File.Exists(path)) return;
        var examples = Read(path);
        var texts = examples.Select(e => e.Text).ToArray();
        var zeroShot = await ZeroShotClassifier.CreateAsync(model, LabelDefinition.FromNames(["positive", "negative"]));
        var head = await TextClassifierTrainer.TrainAsync(examples, model, new TextClassifierTrainingOptions { Lexical = LexicalFeatureMode.On });
        var bow = await TextClassifierTrainer.TrainAsync(examples, null, new TextClassifierTrainingOptions { UseEmbeddings = false, Lexical = LexicalFeatureMode.On });
        Console.WriteLine($"-- batch throughput on {texts.Length} sst2 sentences (embedding included, no cache):");
        foreach (var (name, classifier) in new (string, ITextClassifier)[] { ("zero-shot", zeroShot), ("trained head (embeddings + n-grams)", head), ("bag-of-words (no embedding)", bow) })
        {
            await classifier.ClassifyBatchAsync(texts.Take(16).ToArray()); // warm-up
            var clock = Stopwatch.StartNew();
            for (var start = 0; start < texts.Length; start += 64)
                await classifier.ClassifyBatchAsync(texts.Skip(start).Take(64).ToArray());
            Console.WriteLine($"   {name,-40} {texts.Length / clock.Elapsed.TotalSeconds,8:F0} texts/s");
        }
    }

    private static IReadOnlyList<LabelledText> Read(string path)
        => File.ReadLines(path).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            return new LabelledText(doc.RootElement.GetProperty("text").GetString()!, doc.RootElement.GetProperty("label").GetString()!);
        }).ToArray();

    private static string? Option(string[] options, string name)
    {
        var i = Array.IndexOf(options, name);
        return i >= 0 && i + 1 < options.Length ? options[i + 1] : null;
    }

    /// <summary>Reports on the calling thread (unlike Progress&lt;T&gt;), so lines print in order.</summary>
    private sealed class ConsoleProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Embeddings.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Bench;

/// <summary>
/// Embedding throughput of <see cref="OnnxEmbeddingGenerator"/> (tokenize, run, pool, normalise) against a
/// bare InferenceSession given the same token ids in the same padded batches with the same session
/// settings, doing nothing but the Run calls: the ratio is the generator's overhead.
/// Options: --data DIR (a data folder with corpus.jsonl or another JSONL with "text"; default: generated
/// English), --model DIR (a model folder; default: the bundled all-MiniLM-L6-v2), --chunks N (48),
/// --tokens N (tokens per chunk, 200), --batch N (16), --threads N (2), --reps N (5), --precision fp32|int8|both
/// (both), --providers cpu[,cuda] (cpu; with cuda, each precision also runs on ONNX Runtime's CUDA execution
/// provider, which needs the build with -p:KqaCudaEmbeddings=true: see bench/gpu-embeddings.sh).
/// --unfused (bundled model only) adds a bare session on the int8 model as derived before its attention was fused (OnnxAttentionFusion),
/// fed the int8 run's token ids, to measure that rewrite in the same run. CPU time (the process's user+system,
/// which at a high load average says more than wall time) is reported per chunk beside each throughput.
/// The first configuration is the reference of the throughput ratios and of the cosine agreement.
/// </summary>
internal static class EmbeddingBenchmark
{
    public static async Task RunAsync(string[] options)
    {
        var settings = BenchSettings.Parse(options);
        Console.WriteLine($"load average at start: {LoadAverage.Read()}");
        var runs = new List<Run>();
        BareOnnxSession? unfused = null;
        string? unfusedFile = null;
        var unfusedTimes = new List<double>();
        var unfusedCpu = new List<double>();
        try
        {
            foreach (var provider in settings.Providers)
            {
                foreach (var precision in settings.Precisions)
                {
                    var generator = new OnnxEmbeddingGenerator(new EmbeddingOptions
                    {
                        ModelPath = settings.ModelPath,
                        BatchSize = settings.BatchSize,
                        IntraOpThreads = settings.Threads,
                        Precision = precision,
                        ExecutionProvider = provider,
                    });
                    runs.Add(new Run($"{Short(generator.Precision)} {provider}", generator));
                }
            }
            var texts = LoadChunks(settings, runs[0].Generator.TokenCounter);
            var tokens = 0L;
            foreach (var run in runs)
            {
                var ids = texts.Select(run.Generator.EncodeToIds).ToArray();
                tokens = ids.Sum(i => (long)i.Length);
                run.Bare = BareOnnxSession.For(run.Generator, ids, settings.BatchSize);
                // Warm-up: first runs allocate ONNX Runtime's arenas and JIT the managed code.
                run.Vectors = [.. (await run.Generator.GenerateAsync(texts)).Select(e => e.Vector.ToArray())];
                run.Bare.Run();
                if (options.Contains("--unfused") && run.Generator.Precision == EmbeddingPrecision.Int8 && unfused is null)
                {
                    unfusedFile = Path.Combine(Path.GetTempPath(), $"kqa-bench-unfused-{Guid.NewGuid():N}.onnx");
                    File.WriteAllBytes(unfusedFile, UnfusedInt8(settings.ModelPath));
                    unfused = BareOnnxSession.ForFile(unfusedFile, run.Generator, ids, settings.BatchSize);
                    unfused.Run();
                }
            }
            Console.WriteLine($"model {runs[0].Generator.ModelId} ({runs[0].Generator.Dimensions} dims), {texts.Length} chunks from {settings.Source}, " +
                              $"{tokens / (double)texts.Length:F0} tokens/chunk with [CLS]/[SEP], batch {settings.BatchSize}, " +
                              $"{settings.Threads} intra-op threads, {settings.Repetitions} repetitions after warm-up, " +
                              $"configurations interleaved: {string.Join(", ", runs.Select(r => r.Name))}");

            for (var r = 0; r < settings.Repetitions; r++)
            {
                // Interleaved, so load from other processes falls on every side alike.
                foreach (var run in runs)
                {
                    var (wall, cpu) = await Timed(() => run.Generator.GenerateAsync(texts));
                    run.Ours.Add(wall);
                    run.OursCpu.Add(cpu);
                    (wall, cpu) = await Timed(() => { run.Bare!.Run(); return Task.CompletedTask; });
                    run.BareTimes.Add(wall);
                    run.BareCpu.Add(cpu);
                }
                if (unfused is not null)
                {
                    var (wall, cpu) = await Timed(() => { unfused.Run(); return Task.CompletedTask; });
                    unfusedTimes.Add(wall);
                    unfusedCpu.Add(cpu);
                }
            }

            foreach (var run in runs)
            {
                Report($"OnnxEmbeddingGenerator {run.Name}", texts.Length, tokens, run.Ours, run.OursCpu);
                Report($"bare InferenceSession {run.Name}", texts.Length, tokens, run.BareTimes, run.BareCpu);
                Console.WriteLine($"ratio (ours / bare throughput, {run.Name}): {Stats.Median(run.BareTimes) / Stats.Median(run.Ours):F3}x (target >= 0.9x)");
            }
            if (unfused is not null && runs.FirstOrDefault(r => r.Generator.Precision == EmbeddingPrecision.Int8) is { } int8)
            {
                Report("bare InferenceSession int8, attention not fused", texts.Length, tokens, unfusedTimes, unfusedCpu);
                Console.WriteLine($"fused / unfused int8 (bare sessions): {Stats.Median(unfusedTimes) / Stats.Median(int8.BareTimes):F3}x throughput, " +
                                  $"{Stats.Median(unfusedCpu) / Stats.Median(int8.BareCpu):F3}x less CPU");
            }
            var reference = runs[0];
            foreach (var other in runs.Skip(1))
            {
                var cosines = reference.Vectors.Zip(other.Vectors, (x, y) => TensorPrimitives.CosineSimilarity(x, y)).Order().ToArray();
                Console.WriteLine($"{other.Name} / {reference.Name} throughput: generator {Stats.Median(reference.Ours) / Stats.Median(other.Ours):F2}x, " +
                                  $"bare session {Stats.Median(reference.BareTimes) / Stats.Median(other.BareTimes):F2}x; " +
                                  $"CPU per chunk: generator {Stats.Median(reference.OursCpu) / Stats.Median(other.OursCpu):F2}x less, " +
                                  $"bare session {Stats.Median(reference.BareCpu) / Stats.Median(other.BareCpu):F2}x less; " +
                                  $"cosine per chunk: mean {cosines.Average():F5}, min {cosines[0]:F5}, median {cosines[cosines.Length / 2]:F5}");
            }
        }
        finally
        {
            unfused?.Dispose();
            if (unfusedFile is not null)
            {
                File.Delete(unfusedFile);
            }
            foreach (var run in runs)
            {
                run.Bare?.Dispose();
                run.Generator.Dispose();
            }
        }
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    private sealed class Run(string name, OnnxEmbeddingGenerator generator)
    {
        public string Name { get; } = name;
        public OnnxEmbeddingGenerator Generator { get; } = generator;
        public BareOnnxSession? Bare { get; set; }
        public float[][] Vectors { get; set; } = [];
        public List<double> Ours { get; } = [];
        public List<double> BareTimes { get; } = [];
        public List<double> OursCpu { get; } = [];
        public List<double> BareCpu { get; } = [];
    }

    private static string Short(EmbeddingPrecision precision) => precision == EmbeddingPrecision.Int8 ? "int8" : "fp32";

    private static void Report(string name, int chunks, long tokens, List<double> all, List<double> cpu)
    {
        var seconds = Stats.Median(all);
        Console.WriteLine($"{name,-24} {chunks / seconds,8:F1} chunks/s {tokens / seconds,9:F0} tokens/s " +
                          $"{Stats.Median(cpu) / chunks * 1000,7:F1} CPU-ms/chunk " +
                          $"(median {seconds:F3} s; runs {string.Join(", ", all.Select(s => s.ToString("F3")))})");
    }

    /// <summary>Wall seconds and the process's CPU seconds (all threads) of one call.</summary>
    private static async Task<(double Wall, double Cpu)> Timed(Func<Task> action)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await action();
        var wall = watch.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    /// <summary>The int8 model of the bundled (or given) float32 one as derived without the attention fusion.</summary>
    private static byte[] UnfusedInt8(string? modelPath)
    {
        if (modelPath is not null)
        {
            throw new ArgumentException("--unfused compares the bundled model's int8 variants; leave out --model");
        }
        using var stream = EmbeddingModelSource.Bundled().OpenModel();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return OnnxInt8Quantizer.Quantize(copy.ToArray(), fuseAttention: false).Model;
    }


    /// <summary>Chunks of about the wanted size, cut by the project's own chunker from real or generated text.</summary>
    private static string[] LoadChunks(BenchSettings settings, ITokenCounter counter)
    {
        var chunker = new TextChunker(counter, new ChunkingOptions { MaxTokens = settings.TokensPerChunk, OverlapTokens = 0 });
        var minimum = settings.TokensPerChunk * 3 / 4;
        var result = new List<string>();
        foreach (var (id, text) in settings.DataPath is null ? GeneratedDocuments() : JsonlDocuments(settings.DataPath))
        {
            foreach (var chunk in chunker.Split(new Document(id, id, text)))
            {
                if (chunk.TokenCount >= minimum)
                {
                    result.Add(chunk.Text);
                    if (result.Count == settings.Chunks)
                    {
                        return [.. result];
                    }
                }
            }
        }
        if (result.Count == 0)
        {
            throw new InvalidOperationException($"No chunk of {minimum}+ tokens in {settings.Source}.");
        }
        return [.. result];
    }

    private static IEnumerable<(string Id, string Text)> JsonlDocuments(string path)
    {
        var file = File.Exists(path) ? path
            : new[] { "corpus.jsonl", "contexts.jsonl", "examples.jsonl" }.Select(n => Path.Combine(path, n)).FirstOrDefault(File.Exists)
              ?? throw new FileNotFoundException($"No corpus.jsonl, contexts.jsonl or examples.jsonl in {path}.");
        var line = 0;
        foreach (var json in File.ReadLines(file))
        {
            line++;
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var title = root.TryGetProperty("title", out var t) ? t.GetString() : null;
            var text = root.TryGetProperty("text", out var x) ? x.GetString()
                : root.TryGetProperty("context", out var c) ? c.GetString() : null;
            if (!string.IsNullOrWhiteSpace(text))
            {
                yield return ($"{Path.GetFileName(file)}:{line}", string.IsNullOrWhiteSpace(title) ? text : $"{title}\n\n{text}");
            }
        }
    }

    /// <summary>English-like prose from a fixed seed, so runs are comparable.</summary>
    private static IEnumerable<(string Id, string Text)> GeneratedDocuments()
    {
        string[] words =
        [
            "the", "model", "retrieves", "passages", "from", "a", "knowledge", "base", "and", "answers", "questions",
            "with", "citations", "documents", "are", "split", "into", "chunks", "that", "fit", "its", "window",
            "each", "chunk", "is", "embedded", "stored", "searched", "by", "meaning", "hybrid", "search", "combines",
            "dense", "vectors", "lexical", "weights", "results", "ranked", "fusion", "users", "ask", "about",
            "installation", "configuration", "performance", "errors", "security", "updates", "licences",
        ];
        var random = new Random(42);
        for (var d = 0; ; d++)
        {
            var text = new StringBuilder();
            for (var s = 0; s < 60; s++)
            {
                var length = random.Next(8, 24);
                for (var w = 0; w < length; w++)
                {
                    var word = words[random.Next(words.Length)];
                    text.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word).Append(w == length - 1 ? ". " : " ");
                }
            }
            yield return ($"generated-{d}", text.ToString());
        }
    }

    private sealed record BenchSettings(
        string? DataPath, string? ModelPath, int Chunks, int TokensPerChunk, int BatchSize, int Threads, int Repetitions,
        EmbeddingPrecision[] Precisions, string[] Providers)
    {
        public string Source => DataPath ?? "generated text";

        public static BenchSettings Parse(string[] options)
        {
            string? Value(string name)
            {
                var at = Array.IndexOf(options, name);
                return at >= 0 && at + 1 < options.Length ? options[at + 1] : null;
            }
            int Number(string name, int fallback) => Value(name) is { } v ? int.Parse(v) : fallback;
            return new BenchSettings(Value("--data"), Value("--model"), Number("--chunks", 48), Number("--tokens", 200),
                Number("--batch", 16), Number("--threads", 2), Number("--reps", 5),
                Value("--precision") switch
                {
                    null or "both" => [EmbeddingPrecision.Float32, EmbeddingPrecision.Int8],
                    "int8" => [EmbeddingPrecision.Int8],
                    _ => [EmbeddingPrecision.Float32],
                },
                (Value("--providers") ?? "cpu").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
    }
}

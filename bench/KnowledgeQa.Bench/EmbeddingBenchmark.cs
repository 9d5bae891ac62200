using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Bench;

/// <summary>
/// Embedding throughput of <see cref="OnnxEmbeddingGenerator"/> (tokenize, run, pool, normalise) against a
/// bare InferenceSession given the same token ids in the same padded batches with the same session
/// settings, doing nothing but the Run calls: the ratio is the generator's overhead.
/// Options: --data DIR (a data folder with corpus.jsonl or another JSONL with "text"; default: generated
/// English), --model DIR (a model folder; default: the bundled all-MiniLM-L6-v2), --chunks N (48),
/// --tokens N (tokens per chunk, 200), --batch N (16), --threads N (2), --reps N (5).
/// </summary>
internal static class EmbeddingBenchmark
{
    public static async Task RunAsync(string[] options)
    {
        var settings = BenchSettings.Parse(options);
        Console.WriteLine($"load average at start: {LoadAverage.Read()}");
        var results = new List<(EmbeddingPrecision Precision, double Ours, double Bare, float[][] Vectors)>();
        string[]? texts = null;
        long tokens = 0;
        foreach (var precision in settings.Precisions)
        {
            var embeddingOptions = new EmbeddingOptions
            {
                ModelPath = settings.ModelPath,
                BatchSize = settings.BatchSize,
                IntraOpThreads = settings.Threads,
                Precision = precision,
            };
            using var generator = new OnnxEmbeddingGenerator(embeddingOptions);
            texts ??= LoadChunks(settings, generator.TokenCounter);
            var ids = texts.Select(generator.EncodeToIds).ToArray();
            tokens = ids.Sum(i => (long)i.Length);
            using var baseline = BareOnnxSession.For(generator, ids, settings.Threads, settings.BatchSize);

            Console.WriteLine($"model {generator.ModelId} ({generator.Dimensions} dims, {generator.Precision}), {texts.Length} chunks from {settings.Source}, " +
                              $"{tokens / (double)texts.Length:F0} tokens/chunk with [CLS]/[SEP], batch {settings.BatchSize}, " +
                              $"{settings.Threads} intra-op threads, {settings.Repetitions} repetitions after warm-up");

            // Warm-up: first runs allocate ONNX Runtime's arenas and JIT the managed code.
            var vectors = (await generator.GenerateAsync(texts)).Select(e => e.Vector.ToArray()).ToArray();
            baseline.Run();

            var ours = new List<double>();
            var bare = new List<double>();
            for (var r = 0; r < settings.Repetitions; r++)
            {
                // Interleaved, so load from other processes falls on both sides alike.
                var watch = Stopwatch.StartNew();
                await generator.GenerateAsync(texts);
                ours.Add(watch.Elapsed.TotalSeconds);
                watch.Restart();
                baseline.Run();
                bare.Add(watch.Elapsed.TotalSeconds);
            }

            var oursSeconds = Stats.Median(ours);
            var bareSeconds = Stats.Median(bare);
            Report($"OnnxEmbeddingGenerator {Short(precision)}", texts.Length, tokens, oursSeconds, ours);
            Report($"bare InferenceSession {Short(precision)}", texts.Length, tokens, bareSeconds, bare);
            Console.WriteLine($"ratio (ours / bare throughput, {Short(precision)}): {bareSeconds / oursSeconds:F3}x (target >= 0.9x)");
            results.Add((precision, oursSeconds, bareSeconds, vectors));
        }

        if (results.Count == 2)
        {
            var (fp32, int8) = (results[0], results[1]);
            var cosines = fp32.Vectors.Zip(int8.Vectors, (a, b) => TensorPrimitives.CosineSimilarity(a, b)).Order().ToArray();
            Console.WriteLine($"int8 / fp32 throughput: generator {fp32.Ours / int8.Ours:F2}x, bare session {fp32.Bare / int8.Bare:F2}x");
            Console.WriteLine($"cosine(int8, fp32) per chunk: mean {cosines.Average():F5}, min {cosines[0]:F5}, median {cosines[cosines.Length / 2]:F5}");
        }
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    private static string Short(EmbeddingPrecision precision) => precision == EmbeddingPrecision.Int8 ? "int8" : "fp32";

    private static void Report(string name, int chunks, long tokens, double seconds, List<double> all) =>
        Console.WriteLine($"{name,-24} {chunks / seconds,8:F1} chunks/s {tokens / seconds,9:F0} tokens/s " +
                          $"(median {seconds:F3} s; runs {string.Join(", ", all.Select(s => s.ToString("F3")))})");


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
        EmbeddingPrecision[] Precisions)
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
                });
        }
    }
}

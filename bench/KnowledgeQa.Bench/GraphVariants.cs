using System.Diagnostics;
using System.Numerics.Tensors;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Embeddings.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Bench;

/// <summary>
/// Graph rewrites of the int8 model compared on bare ONNX Runtime sessions fed the same token ids in calls of 64, as
/// the pipeline makes them, each in its variant's runs (pad-free, the generator's on the CPU, unless the variant
/// names length-aware runs, which only a graph with a padding mask can take): CPU milliseconds per chunk of each variant
/// (one intra-op thread, runs one after another, so CPU time is the kernels' work and little else, even on a
/// loaded machine), interleaved repetitions, medians; and each variant's mean-pooled vectors against the first
/// variant's (cosine per chunk). With --profile, ONNX Runtime's profiler splits one pass of each by operator.
/// Variants: default (the library's int8 model on pad-free runs), masked (the seventh round's default: attention with its
/// padding mask, on length-aware runs), masked-padfree, unfused (attention as exported), fp32 / fp32-lengthaware (the
/// bundled model), previous (the file KQA_BENCH_PREVIOUS_MODEL names, e.g. an earlier cache file), fastgelu / msgelu (the
/// exported erf GELU as com.microsoft FastGelu / Gelu), nomempattern / noarena (session options).
/// Options: --files DIR (repeatable; default: the ingest suite's mixed folder) or --data DIR (a JSONL corpus,
/// chunked by the project's chunker), --chunks N (all), --reps N (5), --variants "a;b" (names below; default all),
/// --profile.
/// </summary>
internal static class GraphVariants
{
    /// <summary>The rewrites compared, each applied to the bundled float32 model: name, derivation, session options, runs.</summary>
    private static readonly (string Name, Func<byte[], byte[]> Derive, Action<SessionOptions>? Configure, EmbeddingRunPlan Plan)[] All =
    [
        ("default", model => OnnxInt8Quantizer.Quantize(model).Model, null, EmbeddingRunPlan.PadFree),
        // The seventh round's default: attention with its padding mask, on length-aware (padded) runs.
        ("masked", model => OnnxInt8Quantizer.Quantize(model, paddingMask: true).Model, null, EmbeddingRunPlan.LengthAware),
        ("masked-padfree", model => OnnxInt8Quantizer.Quantize(model, paddingMask: true).Model, null, EmbeddingRunPlan.PadFree),
        ("unfused", model => OnnxInt8Quantizer.Quantize(model, fuseAttention: false).Model, null, EmbeddingRunPlan.PadFree),
        ("fp32", model => model, null, EmbeddingRunPlan.PadFree),
        ("fp32-lengthaware", model => model, null, EmbeddingRunPlan.LengthAware),
        // A file given by KQA_BENCH_PREVIOUS_MODEL (an earlier derivation kept from the cache), to compare with.
        ("previous", _ => File.ReadAllBytes(Environment.GetEnvironmentVariable("KQA_BENCH_PREVIOUS_MODEL")
            ?? throw new ArgumentException("set KQA_BENCH_PREVIOUS_MODEL to an earlier int8 model file")), null, EmbeddingRunPlan.PadFree),
        ("fastgelu", model => GraphExperiments.GeluAs(OnnxInt8Quantizer.Quantize(model).Model, "FastGelu"), null, EmbeddingRunPlan.PadFree),
        ("msgelu", model => GraphExperiments.GeluAs(OnnxInt8Quantizer.Quantize(model).Model, "Gelu"), null, EmbeddingRunPlan.PadFree),
        ("nomempattern", model => OnnxInt8Quantizer.Quantize(model).Model, o => o.EnableMemoryPattern = false, EmbeddingRunPlan.PadFree),
        ("noarena", model => OnnxInt8Quantizer.Quantize(model).Model, o => o.EnableCpuMemArena = false, EmbeddingRunPlan.PadFree),
    ];

    public static async Task RunAsync(string[] options)
    {
        Console.WriteLine($"load average at start: {LoadAverage.Read()}");
        var repetitions = BenchArgs.Int(options, "--reps", 5);
        var wanted = BenchArgs.String(options, "--variants")?.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var selected = wanted is null ? All : [.. wanted.Select(w => All.FirstOrDefault(v => v.Name == w) is { Derive: not null } v ? v
            : throw new ArgumentException($"no variant '{w}'; choose from {string.Join(", ", All.Select(a => a.Name))}"))];

        using var generator = new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = EmbeddingPrecision.Float32 });
        var texts = await LoadTextsAsync(options, generator);
        if (BenchArgs.Int(options, "--chunks", 0) is > 0 and var limit)
            texts = [.. texts.Take(limit)];
        var ids = texts.Select(generator.EncodeToIds).ToArray();
        var tokens = ids.Sum(i => (long)i.Length);
        var lengths = ids.Select(i => i.Length).ToArray();
        var plans = selected.Select(v => v.Plan).Distinct().ToDictionary(p => p, p =>
        {
            var runs = BareOnnxSession.Runs(lengths, 64, 16, 4096, p);
            var cells = runs.Sum(r => (long)r.Length * r.Max(i => ids[i].Length));
            Console.WriteLine($"{p} runs: {runs.Count}, {cells / (double)tokens:F3} cells per token");
            return (Runs: runs, Inputs: Prepare(ids, runs));
        });
        Console.WriteLine($"{ids.Length} chunks, {tokens / (double)ids.Length:F1} tokens per chunk");

        byte[] float32;
        using (var stream = EmbeddingModelSource.Bundled().OpenModel())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            float32 = copy.ToArray();
        }
        var sessions = new List<(string Name, InferenceSession Session, EmbeddingRunPlan Plan, List<double> Cpu)>();
        try
        {
            foreach (var (name, derive, configure, plan) in selected)
            {
                using var sessionOptions = Options();
                configure?.Invoke(sessionOptions);
                sessions.Add((name, new InferenceSession(derive(float32), sessionOptions), plan, []));
            }
            var vectors = sessions.Select(s => Embed(s.Session, ids, plans[s.Plan].Runs, plans[s.Plan].Inputs, pool: true)).ToList(); // also the warm-up
            for (var r = 0; r < repetitions; r++)
            {
                foreach (var (_, session, plan, cpu) in sessions)
                {
                    var before = CpuSeconds();
                    Embed(session, ids, plans[plan].Runs, plans[plan].Inputs, pool: false);
                    cpu.Add((CpuSeconds() - before) / ids.Length * 1000);
                }
            }
            var reference = sessions[0];
            foreach (var ((name, _, _, cpu), index) in sessions.Select((s, i) => (s, i)))
            {
                var cosines = vectors[0].Zip(vectors[index], (x, y) => TensorPrimitives.CosineSimilarity(x, y)).Order().ToArray();
                Console.WriteLine($"{name,-14} {Stats.Median(cpu),6:F2} CPU-ms/chunk (runs {string.Join(", ", cpu.Select(c => c.ToString("F2")))}); " +
                                  $"{Stats.Median(reference.Cpu) / Stats.Median(cpu):F3}x less CPU than {reference.Name}; " +
                                  $"cosine to {reference.Name}: mean {cosines.Average():F6}, min {cosines[0]:F6}");
            }
            if (options.Contains("--profile"))
            {
                foreach (var (name, derive, _, plan) in selected)
                    Console.WriteLine($"{name}: {Profile(derive(float32), ids, plans[plan].Runs, plans[plan].Inputs)}");
            }
        }
        finally
        {
            sessions.ForEach(s => s.Session.Dispose());
        }
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    private static SessionOptions Options()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, IntraOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    private static async Task<List<string>> LoadTextsAsync(string[] options, OnnxEmbeddingGenerator generator)
    {
        if (BenchArgs.String(options, "--data") is { } data && !options.Contains("--files"))
        {
            var chunker = new KnowledgeQa.Retrieval.Chunking.TextChunker(generator.TokenCounter, new KnowledgeQa.Retrieval.Chunking.ChunkingOptions());
            var file = Directory.Exists(data) ? Path.Combine(data, "corpus.jsonl") : data;
            return [.. File.ReadLines(file).Take(400).Select((line, n) =>
                {
                    using var json = System.Text.Json.JsonDocument.Parse(line);
                    var root = json.RootElement;
                    var title = root.TryGetProperty("title", out var t) ? t.GetString() : null;
                    var text = root.GetProperty("text").GetString() ?? "";
                    return new KnowledgeQa.Retrieval.Documents.Document($"d{n}", $"d{n}", string.IsNullOrWhiteSpace(title) ? text : $"{title}\n\n{text}");
                })
                .SelectMany(chunker.Split).Select(c => c.Text)];
        }
        var corpus = await IngestBenchmark.IngestOnceAsync(generator, IngestBenchmark.InputPaths(options, BenchArgs.String(options, "--data")), null);
        return corpus.Chunks;
    }

    /// <summary>The runs' inputs, prepared once: ids, mask and token types per name, and the shape.</summary>
    private static List<(long[][] Values, long[] Shape)> Prepare(int[][] ids, List<int[]> runs) =>
        [.. runs.Select(run =>
        {
            var length = run.Max(i => ids[i].Length);
            long[] Values(Func<int[], int, long> value) => [.. run.SelectMany(row => Enumerable.Range(0, length).Select(t => value(ids[row], t)))];
            return (new[]
            {
                Values((row, t) => t < row.Length ? row[t] : 0L), Values((row, t) => t < row.Length ? 1L : 0L), Values((_, _) => 0L),
            }, new long[] { run.Length, length });
        })];

    /// <summary>Every run, one after another; with <paramref name="pool"/>, the mean-pooled, normalised vector of each chunk, in input order.</summary>
    private static float[][] Embed(InferenceSession session, int[][] ids, List<int[]> runs, List<(long[][] Values, long[] Shape)> prepared, bool pool)
    {
        var result = new float[ids.Length][];
        string[] names = ["input_ids", "attention_mask", "token_type_ids"];
        names = [.. names.Where(session.InputMetadata.ContainsKey)];
        using var runOptions = new RunOptions();
        for (var b = 0; b < runs.Count; b++)
        {
            var (values, shape) = prepared[b];
            var inputs = names.Select((_, i) => OrtValue.CreateTensorValueFromMemory(values[i], shape)).ToArray();
            using var outputs = session.Run(runOptions, names, inputs, ["last_hidden_state"]);
            foreach (var input in inputs)
                input.Dispose();
            if (!pool)
                continue;
            var run = runs[b];
            var length = (int)shape[1];
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            var width = hidden.Length / (run.Length * length);
            for (var r = 0; r < run.Length; r++)
            {
                var vector = new float[width];
                for (var t = 0; t < ids[run[r]].Length; t++)
                    TensorPrimitives.Add(vector, hidden.Slice((r * length + t) * width, width), vector);
                TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
                result[run[r]] = vector;
            }
        }
        return result;
    }

    /// <summary>ONNX Runtime's profiler over one pass: each operator type's share of the kernel time.</summary>
    private static string Profile(byte[] model, int[][] ids, List<int[]> runs, List<(long[][] Values, long[] Shape)> prepared)
    {
        var prefix = Path.Combine(Path.GetTempPath(), $"kqa-bench-variants-{Guid.NewGuid():N}");
        using var options = Options();
        options.EnableProfiling = true;
        options.ProfileOutputPathPrefix = prefix;
        using var session = new InferenceSession(model, options);
        Embed(session, ids, runs, prepared, pool: false);
        var file = session.EndProfiling();
        try
        {
            var byOp = GraphInspection.KernelTimeByOperator(file);
            var total = byOp.Values.Sum();
            return $"{total / 1e3 / ids.Length:F2} kernel-ms/chunk: " +
                   string.Join(", ", byOp.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value / total:P1}"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }
}

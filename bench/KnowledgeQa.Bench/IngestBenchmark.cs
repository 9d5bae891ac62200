using System.Diagnostics;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Bench;

/// <summary>
/// The whole ingest pipeline (discover, read, chunk, lexical weights, embed, write to SQLite) on a folder of
/// real files, with the float32 and the int8 model, in one run: chunks/s and CPU-seconds per chunk of the
/// pipeline, against embedding the same chunks alone (pipeline overhead, target >= 0.8x) and against a bare
/// ONNX Runtime session on the same token ids (generator overhead, target >= 0.9x); int8 / fp32 is the
/// speed-up (target >= 2x). Repetitions alternate the two precisions so machine load falls on both.
/// Then, with --data, the quality check: SciFact's development half ingested with each precision, nDCG@10
/// of dense and hybrid search (int8 within 0.005 of fp32).
/// Each layer reports CPU-seconds per chunk too (the load-robust figure on a shared machine), and the fp32
/// pipeline's CPU is split: ONNX Runtime run, tokenising, the generator's own work, the rest of the pipeline,
/// and the padding the batching computes. ONNX Runtime's thread spinning is measured off (the default) and on.
/// Options: --files DIR (repeatable; default: DATA/realworld, the repository's docs/ and samples/docs),
/// --data DATA, --reps N (3), --batch N (16), --batch-tokens N (4096), --threads N (0: ONNX Runtime's choice),
/// --spinning both|on|off (off), --batching both|planned|fixed (both: the generator's length-aware runs and, as
/// the baseline, fixed runs of --batch sorted inputs, as before), --parallel N (the pipeline's embedding workers, 1),
/// --runs parallel|single|both (parallel: the runs of a call side by side, one intra-op thread each, the library's
/// default on the CPU; single: one run at a time on ONNX Runtime's threads, as before; fixed runs are always single),
/// --parallel-runs N (0: one per core), --precision fp32|int8|both (both), --variants "LABEL;LABEL" (only those configurations, by their labels in the table),
/// --no-quality, --quality-limit N (queries).
/// </summary>
internal static class IngestBenchmark
{
    /// <summary>One configuration of the generator under test.</summary>
    /// <param name="OneRunAtATime">The arrangement before runs went side by side: each run split across ONNX Runtime's intra-op threads.</param>
    private sealed record Variant(string Label, EmbeddingPrecision Precision, bool Spinning, bool FixedBatches = false, bool OneRunAtATime = false)
    {
        public bool IsInt8 => Precision == EmbeddingPrecision.Int8;
    }

    public static async Task RunAsync(string[] options)
    {
        var data = BenchArgs.String(options, "--data");
        var repetitions = BenchArgs.Int(options, "--reps", 3);
        var batchSize = BenchArgs.Int(options, "--batch", new EmbeddingOptions().BatchSize);
        var threads = BenchArgs.Int(options, "--threads", 0);
        var batchTokens = BenchArgs.Int(options, "--batch-tokens", new EmbeddingOptions().BatchTokens);
        // The pipeline's embedding workers (IngestionOptions.EmbeddingParallelism): with --threads 1, runs on both cores at once.
        var parallelism = BenchArgs.Int(options, "--parallel", 1);
        var spinning = BenchArgs.String(options, "--spinning") ?? "off";
        // Length-aware runs (the default) and, with --batching both|fixed, fixed runs of --batch sorted inputs (before).
        var batching = BenchArgs.String(options, "--batching") ?? "both";
        // Runs of one call side by side (the library's default on the CPU) or, with --runs both|single, one at a time too.
        var runsOption = BenchArgs.String(options, "--runs") ?? "parallel";
        bool[] runArrangements = runsOption switch { "both" => [false, true], "single" => [true], _ => [false] };
        var parallelRuns = BenchArgs.Int(options, "--parallel-runs", 0);
        var paths = InputPaths(options, data);
        Console.WriteLine($"load average at start: {LoadAverage.Read()}; {Environment.ProcessorCount} cores");
        Console.WriteLine($"input: {string.Join(", ", paths)}");
        Console.WriteLine($"batch size {batchSize}, batch tokens {batchTokens}, intra-op threads {(threads == 0 ? "ONNX Runtime's choice" : threads)}, " +
                          $"spinning: {spinning}, batching: {batching}, runs: {runsOption} (parallel runs {(parallelRuns == 0 ? "one per core" : parallelRuns)}), " +
                          $"pipeline embedding workers: {parallelism}");

        // The library's defaults (spinning off) first; with spinning on (ONNX Runtime's own default, and this
        // library's before it turned spinning off) as well unless --spinning on|off picks one.
        var variants = new List<Variant>();
        EmbeddingPrecision[] precisions = BenchArgs.String(options, "--precision") switch
        {
            "fp32" => [EmbeddingPrecision.Float32],
            "int8" => [EmbeddingPrecision.Int8],
            _ => [EmbeddingPrecision.Float32, EmbeddingPrecision.Int8],
        };
        foreach (var precision in precisions)
        {
            var name = precision == EmbeddingPrecision.Int8 ? "int8" : "fp32";
            foreach (var fixedBatches in new[] { true, false })
            {
                // The int8 graph's attention has no padding mask, so it takes only the library's pad-free runs.
                if ((fixedBatches ? batching is not ("both" or "fixed") : batching is "fixed") || (fixedBatches && precision == EmbeddingPrecision.Int8))
                    continue;
                // Fixed runs are the pipeline as it was (one run at a time); length-aware runs take the library's
                // arrangement (runs side by side, one thread each, unless --parallel-runs or --threads say otherwise)
                // and, with --runs both, one run at a time as well.
                foreach (var oneAtATime in fixedBatches ? [true] : runArrangements)
                {
                    var label = (fixedBatches ? $"{name}, fixed batches" : name) + (oneAtATime && !fixedBatches ? ", one run at a time" : "");
                    if (spinning is "both" or "off")
                        variants.Add(new Variant(label, precision, false, fixedBatches, oneAtATime));
                    if (spinning is "both" or "on")
                        variants.Add(new Variant($"{label}, spinning", precision, true, fixedBatches, oneAtATime));
                }
            }
        }
        // --variants "fp32, fixed batches, spinning;int8" keeps only the configurations named (their labels in the
        // table), for a loaded machine where all eight take an hour: the issue's pipeline against the default.
        if (BenchArgs.String(options, "--variants") is { } only)
        {
            var wanted = only.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
            variants.RemoveAll(v => !wanted.Contains(v.Label));
            if (variants.Count == 0)
                throw new ArgumentException($"--variants '{only}' names no configuration of this run (labels such as 'fp32, fixed batches, spinning' or 'int8')");
        }
        var runs = variants.ToDictionary(v => v, _ => new List<RunFigures>());
        var generators = variants.ToDictionary(v => v, v => new OnnxEmbeddingGenerator(new EmbeddingOptions
        {
            Precision = v.Precision, AllowThreadSpinning = v.Spinning, BatchSize = batchSize, BatchTokens = batchTokens, IntraOpThreads = threads,
            FixedBatches = v.FixedBatches, ParallelRuns = v.OneRunAtATime ? 1 : parallelRuns,
        }));
        try
        {
            // Warm-up: one untimed ingest (JIT, ONNX Runtime arenas, the int8 file in the cache); the other
            // generators share the pipeline's JIT-compiled code: a short call warms each session.
            var first = generators[variants[0]];
            var corpus = await IngestOnceAsync(first, paths, null);
            foreach (var variant in variants.Skip(1))
                await generators[variant].GenerateAsync(corpus.Chunks.Take(64));
            Console.WriteLine($"{corpus.Files} files read, {corpus.Failed} refused, {corpus.Chunks.Count} chunks, " +
                              $"{corpus.Chunks.Sum(first.TokenCounter.CountTokens)} tokens; {repetitions} repetitions after warm-up");
            var profile = Profile(first, corpus.Chunks, batchSize, batchTokens);

            for (var r = 0; r < repetitions; r++)
            {
                foreach (var variant in variants)
                    runs[variant].Add(await MeasureAsync(generators[variant], variant, paths, corpus.Chunks, batchSize, batchTokens, threads, parallelism));
            }

            Console.WriteLine();
            Console.WriteLine("| model | whole pipeline | CPU-s / chunk | embedding alone | CPU-s / chunk | bare ONNX Runtime | CPU-s / chunk | pipeline / embedding | embedding / bare |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            var medians = new Dictionary<Variant, RunFigures>();
            foreach (var variant in variants)
            {
                var m = RunFigures.Median(runs[variant]);
                medians[variant] = m;
                Console.WriteLine($"| {variant.Label} | {m.PipelineRate:0.0} chunks/s | {m.PipelineCpuPerChunk:0.000} | " +
                                  $"{m.EmbeddingRate:0.0} chunks/s | {m.EmbeddingCpuPerChunk:0.000} | {m.BareRate:0.0} chunks/s | {m.BareCpuPerChunk:0.000} | " +
                                  $"{m.PipelineRate / m.EmbeddingRate:0.00}x | {m.EmbeddingRate / m.BareRate:0.00}x |");
            }
            foreach (var baseline in variants.Where(v => !v.IsInt8))
            {
                foreach (var int8Variant in variants.Where(v => v.IsInt8))
                {
                    var (fp32, int8) = (medians[baseline], medians[int8Variant]);
                    Console.WriteLine($"{int8Variant.Label} / {baseline.Label}, whole pipeline: {int8.PipelineRate / fp32.PipelineRate:0.00}x chunks/s (target >= 2x), " +
                                      $"{fp32.PipelineCpuPerChunk / int8.PipelineCpuPerChunk:0.00}x less CPU per chunk; embedding alone " +
                                      $"{int8.EmbeddingRate / fp32.EmbeddingRate:0.00}x chunks/s, {fp32.EmbeddingCpuPerChunk / int8.EmbeddingCpuPerChunk:0.00}x less CPU; " +
                                      $"bare session {int8.BareRate / fp32.BareRate:0.00}x chunks/s, {fp32.BareCpuPerChunk / int8.BareCpuPerChunk:0.00}x less CPU");
                }
            }
            foreach (var planned in variants.Where(v => !v.FixedBatches))
            {
                if (variants.FirstOrDefault(v => v.FixedBatches && v.Precision == planned.Precision && v.Spinning == planned.Spinning) is not { } fixedVariant)
                    continue;
                var (before, after) = (medians[fixedVariant], medians[planned]);
                Console.WriteLine($"{planned.Label} / {fixedVariant.Label} (the library's runs vs fixed): whole pipeline {after.PipelineRate / before.PipelineRate:0.00}x chunks/s, " +
                                  $"{before.PipelineCpuPerChunk / after.PipelineCpuPerChunk:0.00}x less CPU per chunk; bare session " +
                                  $"{after.BareRate / before.BareRate:0.00}x chunks/s, {before.BareCpuPerChunk / after.BareCpuPerChunk:0.00}x less CPU");
            }
            foreach (var variant in variants)
                Console.WriteLine($"runs {variant.Label}: pipeline {string.Join(", ", runs[variant].Select(f => f.PipelineRate.ToString("0.0")))} chunks/s");

            var pipelineCpu = medians[variants[0]].PipelineCpuPerChunk;
            var embeddingCpu = medians[variants[0]].EmbeddingCpuPerChunk;
            var bareCpu = medians[variants[0]].BareCpuPerChunk;
            Console.WriteLine();
            Console.WriteLine($"Where the CPU of the {variants[0].Label} pipeline goes (per chunk, medians; the rest by subtraction):");
            Console.WriteLine($"  ONNX Runtime run (bare session): {bareCpu * 1000:0.0} ms ({bareCpu / pipelineCpu:P0})");
            Console.WriteLine($"  tokenising: {profile.TokenizeCpuPerChunk * 1000:0.00} ms ({profile.TokenizeCpuPerChunk / pipelineCpu:P1})");
            Console.WriteLine($"  the generator's own work beyond bare session and tokenising (tensors, pooling): " +
                              $"{(embeddingCpu - bareCpu - profile.TokenizeCpuPerChunk) * 1000:0.0} ms");
            Console.WriteLine($"  reading, chunking, lexical weights, store write: {(pipelineCpu - embeddingCpu) * 1000:0.0} ms ({(pipelineCpu - embeddingCpu) / pipelineCpu:P0})");
            Console.WriteLine($"  padding: token cells computed per real token (1.000 = none), inputs sorted by length within each call of 64: " +
                              $"fixed batches of {batchSize} {profile.PaddedCellsPerToken:0.000} ({profile.FixedRuns} runs), " +
                              $"length-aware runs of at most {batchSize} inputs and {batchTokens} cells {profile.PlannedCellsPerToken:0.000} ({profile.PlannedRuns} runs, CUDA's); " +
                              $"pad-free runs (the CPU's) 1.000 ({profile.PadFreeRuns} runs); " +
                              $"unsorted {profile.UnsortedPaddedCellsPerToken:0.000}; length-aware within calls of 128 / 256: " +
                              $"{profile.Planned128CellsPerToken:0.000} / {profile.Planned256CellsPerToken:0.000}");
            Console.WriteLine($"load average after the speed runs: {LoadAverage.Read()}");

            if (data is not null && !options.Contains("--no-quality"))
            {
                var quality = variants.Where(v => !v.Spinning).ToDictionary(v => v.Precision, v => generators[v]);
                await QualityCheck.RunAsync(data, quality, BenchArgs.Int(options, "--quality-limit", 0));
            }
        }
        finally
        {
            foreach (var generator in generators.Values)
                generator.Dispose();
        }
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    private sealed record PipelineProfile(double TokenizeCpuPerChunk, double PaddedCellsPerToken, int FixedRuns, double PlannedCellsPerToken, int PlannedRuns,
        int PadFreeRuns, double UnsortedPaddedCellsPerToken, double Planned128CellsPerToken, double Planned256CellsPerToken);

    /// <summary>Tokenising CPU per chunk, and how much padding the batching computes: fixed, length-aware, unsorted; how many pad-free runs.</summary>
    private static PipelineProfile Profile(OnnxEmbeddingGenerator generator, List<string> chunks, int batchSize, int batchTokens)
    {
        var cpu = CpuSeconds();
        var ids = chunks.Select(generator.EncodeToIds).ToArray();
        var tokenizeCpu = (CpuSeconds() - cpu) / chunks.Count;
        var tokens = (double)ids.Sum(i => (long)i.Length);
        var lengths = ids.Select(i => i.Length).ToArray();
        var fixedRuns = BareOnnxSession.Runs(lengths, 64, batchSize, batchTokens, EmbeddingRunPlan.Fixed);
        var planned = BareOnnxSession.Runs(lengths, 64, batchSize, batchTokens, EmbeddingRunPlan.LengthAware);
        var padFree = BareOnnxSession.Runs(lengths, 64, batchSize, batchTokens, EmbeddingRunPlan.PadFree);
        double Cells(IEnumerable<int[]> runs) => runs.Sum(b => (long)b.Length * b.Max(i => lengths[i])) / tokens;
        var unsorted = ids.Chunk(64).SelectMany(call => call.Chunk(batchSize)).Sum(b => (long)b.Length * b.Max(i => i.Length));
        return new PipelineProfile(tokenizeCpu, Cells(fixedRuns), fixedRuns.Count, Cells(planned), planned.Count, padFree.Count, unsorted / tokens,
            Cells(BareOnnxSession.Runs(lengths, 128, batchSize, batchTokens, EmbeddingRunPlan.LengthAware)),
            Cells(BareOnnxSession.Runs(lengths, 256, batchSize, batchTokens, EmbeddingRunPlan.LengthAware)));
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    internal static List<string> InputPaths(string[] options, string? data)
    {
        var given = options.Select((o, i) => (o, i)).Where(x => x.o == "--files" && x.i + 1 < options.Length).Select(x => options[x.i + 1]).ToList();
        if (given.Count > 0)
            return given.Select(Path.GetFullPath).ToList();
        var root = StartupBenchmark.RepositoryRoot();
        // The repository's own Markdown (its README.md would clash with realworld/README.md: one id per file name).
        var paths = new List<string> { Path.Combine(root, "docs"), Path.Combine(root, "samples", "docs") };
        if (data is not null && Directory.Exists(Path.Combine(data, "realworld")))
            paths.Insert(0, Path.GetFullPath(Path.Combine(data, "realworld")));
        return paths;
    }

    internal sealed record Corpus(int Files, int Failed, List<string> Chunks);

    /// <summary>One ingest of the folder into a new store; with <paramref name="figures"/> null, the chunks are read back.</summary>
    internal static async Task<Corpus> IngestOnceAsync(OnnxEmbeddingGenerator generator, List<string> paths, Action<IngestionSummary>? figures, int parallelism = 1)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"kqa-bench-ingest-{Guid.NewGuid():N}");
        try
        {
            var chunking = new ChunkingOptions();
            await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = Path.Combine(folder, "knowledge.db") });
            var pipeline = new IngestionPipeline(
                DocumentReaderRegistry.CreateDefault(), new TextChunker(generator.TokenCounter, chunking), chunking, generator,
                new Bm25SparseEncoder(new Bm25Options()), store, new EmbeddingModelInfo(generator.ModelId, generator.Dimensions));
            // One call per folder, each its own source: folders with the same name (docs/, samples/docs/) would
            // otherwise claim one source name and be refused.
            var files = new List<IngestionFileResult>();
            for (var i = 0; i < paths.Count; i++)
            {
                var source = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(paths[i]))}-{i + 1}";
                files.AddRange((await pipeline.IngestAsync([paths[i]], new IngestionOptions { SourceName = source, EmbeddingParallelism = parallelism })).Files);
            }
            var summary = new IngestionSummary(files);
            figures?.Invoke(summary);
            var chunks = new List<string>();
            await foreach (var document in store.ListDocumentsAsync())
            {
                await foreach (var chunk in store.ReadChunksAsync(document.Id))
                    chunks.Add(chunk.Chunk.Text);
            }
            return new Corpus(summary.Added + summary.Failed, summary.Failed, chunks);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    private sealed record RunFigures(double PipelineRate, double PipelineCpuPerChunk, double EmbeddingRate, double EmbeddingCpuPerChunk,
        double BareRate, double BareCpuPerChunk)
    {
        public static RunFigures Median(List<RunFigures> runs) => new(
            Stats.Median(runs.Select(r => r.PipelineRate)), Stats.Median(runs.Select(r => r.PipelineCpuPerChunk)),
            Stats.Median(runs.Select(r => r.EmbeddingRate)), Stats.Median(runs.Select(r => r.EmbeddingCpuPerChunk)),
            Stats.Median(runs.Select(r => r.BareRate)), Stats.Median(runs.Select(r => r.BareCpuPerChunk)));
    }

    private static async Task<RunFigures> MeasureAsync(OnnxEmbeddingGenerator generator, Variant variant, List<string> paths, List<string> chunks,
        int batchSize, int batchTokens, int threads, int parallelism)
    {
        // The whole pipeline, wall clock and CPU time of the process (ONNX Runtime's threads included).
        var cpu = CpuSeconds();
        var wall = Stopwatch.StartNew();
        var written = 0;
        await IngestOnceAsync(generator, paths, summary => written = summary.Chunks, parallelism);
        wall.Stop();
        var pipelineCpu = CpuSeconds() - cpu;

        // The same chunks embedded alone, in the pipeline's calls of 64.
        cpu = CpuSeconds();
        var embedding = Stopwatch.StartNew();
        foreach (var call in chunks.Chunk(64))
            await generator.GenerateAsync(call);
        embedding.Stop();
        var embeddingCpu = CpuSeconds() - cpu;

        // A bare session on the same token ids, batched as the generator does, with the same thread settings.
        var ids = chunks.Select(generator.EncodeToIds).ToArray();
        using var bare = BareOnnxSession.For(generator, ids, batchSize, callSize: 64, spinning: variant.Spinning, batchTokens: batchTokens);
        cpu = CpuSeconds();
        var bareTime = Stopwatch.StartNew();
        bare.Run();
        bareTime.Stop();
        var bareCpu = CpuSeconds() - cpu;

        return new RunFigures(written / wall.Elapsed.TotalSeconds, pipelineCpu / written,
            chunks.Count / embedding.Elapsed.TotalSeconds, embeddingCpu / chunks.Count,
            chunks.Count / bareTime.Elapsed.TotalSeconds, bareCpu / chunks.Count);
    }
}

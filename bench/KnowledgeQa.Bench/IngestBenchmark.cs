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
/// Options: --files DIR (repeatable; default: DATA/realworld, the repository's docs/ and samples/docs),
/// --data DATA, --reps N (3), --no-quality, --quality-limit N (queries).
/// </summary>
internal static class IngestBenchmark
{
    private static readonly EmbeddingPrecision[] Precisions = [EmbeddingPrecision.Float32, EmbeddingPrecision.Int8];

    public static async Task RunAsync(string[] options)
    {
        var data = BenchArgs.String(options, "--data");
        var repetitions = BenchArgs.Int(options, "--reps", 3);
        var paths = InputPaths(options, data);
        Console.WriteLine($"load average at start: {LoadAverage.Read()}");
        Console.WriteLine($"input: {string.Join(", ", paths)}");

        var runs = Precisions.ToDictionary(p => p, _ => new List<RunFigures>());
        var generators = Precisions.ToDictionary(p => p, p => new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = p }));
        try
        {
            // Warm-up: one untimed ingest per precision (JIT, ONNX Runtime arenas, the int8 file in the cache).
            var corpus = await IngestOnceAsync(generators[EmbeddingPrecision.Float32], paths, null);
            // int8 shares the pipeline's JIT-compiled code: a short call warms its session.
            await generators[EmbeddingPrecision.Int8].GenerateAsync(corpus.Chunks.Take(64));
            Console.WriteLine($"{corpus.Files} files read, {corpus.Failed} refused, {corpus.Chunks.Count} chunks, " +
                              $"{corpus.Chunks.Sum(generators[EmbeddingPrecision.Float32].TokenCounter.CountTokens)} tokens; " +
                              $"{repetitions} repetitions after warm-up");

            for (var r = 0; r < repetitions; r++)
            {
                foreach (var precision in Precisions)
                    runs[precision].Add(await MeasureAsync(generators[precision], paths, corpus.Chunks));
            }

            Console.WriteLine();
            Console.WriteLine("| model | whole pipeline | CPU-s / chunk | embedding alone | bare ONNX Runtime | pipeline / embedding | embedding / bare |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
            var medians = new Dictionary<EmbeddingPrecision, RunFigures>();
            foreach (var precision in Precisions)
            {
                var m = RunFigures.Median(runs[precision]);
                medians[precision] = m;
                Console.WriteLine($"| {generators[precision].ModelId} | {m.PipelineRate:0.0} chunks/s | {m.PipelineCpuPerChunk:0.000} | " +
                                  $"{m.EmbeddingRate:0.0} chunks/s | {m.BareRate:0.0} chunks/s | {m.PipelineRate / m.EmbeddingRate:0.00}x | " +
                                  $"{m.EmbeddingRate / m.BareRate:0.00}x |");
            }
            var (fp32, int8) = (medians[EmbeddingPrecision.Float32], medians[EmbeddingPrecision.Int8]);
            Console.WriteLine($"int8 / fp32, whole pipeline: {int8.PipelineRate / fp32.PipelineRate:0.00}x chunks/s (target >= 2x), " +
                              $"{fp32.PipelineCpuPerChunk / int8.PipelineCpuPerChunk:0.00}x less CPU per chunk; " +
                              $"embedding alone {int8.EmbeddingRate / fp32.EmbeddingRate:0.00}x, bare session {int8.BareRate / fp32.BareRate:0.00}x");
            foreach (var precision in Precisions)
                Console.WriteLine($"runs {Short(precision)}: pipeline {string.Join(", ", runs[precision].Select(f => f.PipelineRate.ToString("0.0")))} chunks/s");
            Console.WriteLine($"load average after the speed runs: {LoadAverage.Read()}");

            if (data is not null && !options.Contains("--no-quality"))
                await QualityCheck.RunAsync(data, generators, BenchArgs.Int(options, "--quality-limit", 0));
        }
        finally
        {
            foreach (var generator in generators.Values)
                generator.Dispose();
        }
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    private static string Short(EmbeddingPrecision precision) => precision == EmbeddingPrecision.Int8 ? "int8" : "fp32";

    private static List<string> InputPaths(string[] options, string? data)
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

    private sealed record Corpus(int Files, int Failed, List<string> Chunks);

    /// <summary>One ingest of the folder into a new store; with <paramref name="figures"/> null, the chunks are read back.</summary>
    private static async Task<Corpus> IngestOnceAsync(OnnxEmbeddingGenerator generator, List<string> paths, Action<IngestionSummary>? figures)
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
                files.AddRange((await pipeline.IngestAsync([paths[i]], new IngestionOptions { SourceName = source })).Files);
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

    private sealed record RunFigures(double PipelineRate, double PipelineCpuPerChunk, double EmbeddingRate, double BareRate)
    {
        public static RunFigures Median(List<RunFigures> runs) => new(
            Stats.Median(runs.Select(r => r.PipelineRate)), Stats.Median(runs.Select(r => r.PipelineCpuPerChunk)),
            Stats.Median(runs.Select(r => r.EmbeddingRate)), Stats.Median(runs.Select(r => r.BareRate)));
    }

    private static async Task<RunFigures> MeasureAsync(OnnxEmbeddingGenerator generator, List<string> paths, List<string> chunks)
    {
        // The whole pipeline, wall clock and CPU time of the process (ONNX Runtime's threads included).
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var written = 0;
        await IngestOnceAsync(generator, paths, summary => written = summary.Chunks);
        wall.Stop();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;

        // The same chunks embedded alone, in the pipeline's calls of 64.
        var embedding = Stopwatch.StartNew();
        foreach (var call in chunks.Chunk(64))
            await generator.GenerateAsync(call);
        embedding.Stop();

        // A bare session on the same token ids, batched as the generator does.
        var ids = chunks.Select(generator.EncodeToIds).ToArray();
        using var bare = BareOnnxSession.For(generator, ids, threads: 0, batchSize: 16, callSize: 64);
        var bareTime = Stopwatch.StartNew();
        bare.Run();
        bareTime.Stop();

        return new RunFigures(written / wall.Elapsed.TotalSeconds, cpu / written,
            chunks.Count / embedding.Elapsed.TotalSeconds, chunks.Count / bareTime.Elapsed.TotalSeconds);
    }
}

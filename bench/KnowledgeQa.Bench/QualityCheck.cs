using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Evaluation;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Bench;

/// <summary>
/// Does int8 keep retrieval quality? SciFact's development half (DATA/scifact) ingested once per precision
/// through the real pipeline, then nDCG@10 (and recall@10) of dense and hybrid search, as `kqa eval retrieval`
/// measures them. The bar: int8 within 0.005 nDCG@10 of fp32 in both modes.
/// Alone: `quality --data DATA [--quality-limit N]`; the `ingest` suite runs it after its speed figures.
/// </summary>
internal static class QualityCheck
{
    private const double Tolerance = 0.005;

    /// <summary>
    /// The `quality` suite: the check on its own, with a generator of each precision. --corpus-sample N keeps
    /// N abstracts (all relevant ones, the rest drawn with a fixed seed), for a machine too busy to embed the
    /// whole corpus twice: it compares the precisions on the same smaller haystack, not the published figure.
    /// </summary>
    public static async Task RunSuiteAsync(string[] options)
    {
        var data = BenchArgs.String(options, "--data")
                   ?? throw new ArgumentException("quality needs --data DATA (the folder holding scifact/)");
        Console.WriteLine($"load average at start: {LoadAverage.Read()}");
        // int8 first: on a loaded machine its (cheaper) figures are there even if the float32 run is cut short.
        // --precision int8|fp32 runs one side (two processes can then share a busy machine; compare their lines).
        EmbeddingPrecision[] precisions = BenchArgs.String(options, "--precision") switch
        {
            "int8" => [EmbeddingPrecision.Int8],
            "fp32" => [EmbeddingPrecision.Float32],
            _ => [EmbeddingPrecision.Int8, EmbeddingPrecision.Float32],
        };
        var generators = precisions.ToDictionary(p => p, p => new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = p }));
        try
        {
            await RunAsync(data, generators, BenchArgs.Int(options, "--quality-limit", 0), BenchArgs.Int(options, "--corpus-sample", 0));
        }
        finally
        {
            foreach (var generator in generators.Values)
                generator.Dispose();
        }
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    public static async Task RunAsync(string data, IReadOnlyDictionary<EmbeddingPrecision, OnnxEmbeddingGenerator> generators, int queryLimit, int corpusSample = 0)
    {
        var folder = Path.Combine(data, "scifact");
        if (!Directory.Exists(folder))
        {
            Console.WriteLine($"quality check skipped: no {folder}");
            return;
        }
        var dataset = RetrievalDataset.Load(folder, queryLimit > 0 ? queryLimit : null);
        if (corpusSample > 0)
            dataset = SampleCorpus(dataset, corpusSample);
        Console.WriteLine();
        Console.WriteLine($"quality: {dataset.Name}, {dataset.Documents.Count} documents" +
                          (corpusSample > 0 ? " (a sample of the corpus: every relevant abstract plus seeded random others; not the full-corpus figure)" : "") +
                          $", {dataset.Queries.Count} queries (development half)");

        var results = new Dictionary<(EmbeddingPrecision, SearchMode), RetrievalMetrics>();
        foreach (var (precision, generator) in generators)
        {
            var store = Path.Combine(Path.GetTempPath(), $"kqa-bench-quality-{Guid.NewGuid():N}");
            try
            {
                await using var knowledge = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = Path.Combine(store, "knowledge.db") });
                var chunking = new ChunkingOptions();
                var lexical = new Bm25SparseEncoder(new Bm25Options());
                var pipeline = new IngestionPipeline(DocumentReaderRegistry.CreateDefault(), new TextChunker(generator.TokenCounter, chunking),
                    chunking, generator, lexical, knowledge, new EmbeddingModelInfo(generator.ModelId, generator.Dimensions));
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var summary = await pipeline.IngestDocumentsAsync(dataset.Documents);
                Console.WriteLine($"  {generator.ModelId}: {summary.Chunks} chunks ingested in {watch.Elapsed.TotalSeconds:0} s " +
                                  $"({summary.Chunks / watch.Elapsed.TotalSeconds:0.0} chunks/s, load {LoadAverage.Read()})");
                var evaluator = new RetrievalEvaluator(new KnowledgeRetriever(generator, lexical, knowledge));
                foreach (var mode in new[] { SearchMode.Dense, SearchMode.Hybrid })
                {
                    var metrics = await evaluator.EvaluateAsync(dataset.Queries, mode);
                    results[(precision, mode)] = metrics;
                    Console.WriteLine($"  {generator.ModelId} {mode.ToString().ToLowerInvariant()}: nDCG@10 {metrics.NdcgAt10:0.0000}, recall@10 {metrics.RecallAt10:0.000}");
                }
            }
            finally
            {
                if (Directory.Exists(store))
                    Directory.Delete(store, recursive: true);
            }
        }

        if (results.Count < 4)
            return;
        Console.WriteLine("| mode | fp32 nDCG@10 | int8 nDCG@10 | difference | fp32 recall@10 | int8 recall@10 | within 0.005 |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var mode in new[] { SearchMode.Dense, SearchMode.Hybrid })
        {
            var fp32 = results[(EmbeddingPrecision.Float32, mode)];
            var int8 = results[(EmbeddingPrecision.Int8, mode)];
            var difference = int8.NdcgAt10 - fp32.NdcgAt10;
            Console.WriteLine($"| {mode.ToString().ToLowerInvariant()} | {fp32.NdcgAt10:0.0000} | {int8.NdcgAt10:0.0000} | {difference:+0.0000;-0.0000;0.0000} | " +
                              $"{fp32.RecallAt10:0.000} | {int8.RecallAt10:0.000} | {(Math.Abs(difference) <= Tolerance || difference > 0 ? "yes" : "NO")} |");
        }
    }

    private static RetrievalDataset SampleCorpus(RetrievalDataset dataset, int size)
    {
        var relevant = dataset.Queries.SelectMany(q => q.RelevantDocumentIds).ToHashSet(StringComparer.Ordinal);
        var others = dataset.Documents.Where(d => !relevant.Contains(d.Id)).ToArray();
        new Random(13).Shuffle(others);
        var keep = dataset.Documents.Where(d => relevant.Contains(d.Id))
            .Concat(others.Take(Math.Max(0, size - relevant.Count))).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        // The corpus order is kept, so ingestion sees the documents as the full run does.
        return new RetrievalDataset { Name = dataset.Name, Documents = [.. dataset.Documents.Where(d => keep.Contains(d.Id))], Queries = dataset.Queries };
    }
}

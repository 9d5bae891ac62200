using System.Diagnostics;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Bench;

/// <summary>
/// Throughput of the whole ingest pipeline (read, chunk, lexical, embed, write to SQLite) against
/// embedding the same chunks alone, in the same process with the same model. Target: 0.8x or better.
/// Input: --data DIR with a scifact/corpus.jsonl (the first --docs N abstracts), else generated text.
/// </summary>
internal static class IngestBenchmark
{
    public static async Task RunAsync(string[] options)
    {
        var documentCount = BenchArgs.Int(options, "--docs", 400);
        var documents = LoadDocuments(BenchArgs.String(options, "--data"), documentCount);
        var folder = Path.Combine(Path.GetTempPath(), $"kqa-bench-ingest-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            // The pipeline reads files, so the benchmark writes the documents as .txt files first.
            foreach (var document in documents)
                await File.WriteAllTextAsync(Path.Combine(folder, document.Id + ".txt"), document.Text);

            using var generator = new OnnxEmbeddingGenerator(new EmbeddingOptions());
            var chunking = new ChunkingOptions();
            var chunker = new TextChunker(generator.TokenCounter, chunking);
            var chunks = documents.SelectMany(chunker.Split).Select(c => c.Text).ToList();
            var tokens = chunks.Sum(generator.TokenCounter.CountTokens);
            Console.WriteLine($"{documents.Count} documents, {chunks.Count} chunks, {tokens} tokens");

            await generator.GenerateAsync(chunks.Take(32).ToList()); // warm-up

            var embedOnly = Stopwatch.StartNew();
            for (var i = 0; i < chunks.Count; i += 64)
                await generator.GenerateAsync(chunks.Skip(i).Take(64).ToList());
            embedOnly.Stop();

            await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = Path.Combine(folder, "store", "knowledge.db") });
            var pipeline = new IngestionPipeline(
                DocumentReaderRegistry.CreateDefault(), chunker, chunking, generator,
                new Bm25SparseEncoder(new Bm25Options()), store, new EmbeddingModelInfo(generator.ModelId, generator.Dimensions));
            var whole = Stopwatch.StartNew();
            var summary = await pipeline.IngestAsync([folder], new IngestionOptions { Discovery = new DiscoveryOptions { Exclude = ["store/**"] } });
            whole.Stop();

            double Rate(Stopwatch sw) => chunks.Count / sw.Elapsed.TotalSeconds;
            Console.WriteLine($"embedding alone : {Rate(embedOnly),8:0.0} chunks/s  {tokens / embedOnly.Elapsed.TotalSeconds,9:0} tokens/s");
            Console.WriteLine($"whole pipeline  : {Rate(whole),8:0.0} chunks/s  {tokens / whole.Elapsed.TotalSeconds,9:0} tokens/s " +
                              $"({summary.Added} added, {summary.Failed} failed)");
            Console.WriteLine($"ratio pipeline / embedding alone: {Rate(whole) / Rate(embedOnly):0.00}x (target >= 0.80x)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<Document> LoadDocuments(string? dataDirectory, int count)
    {
        var corpus = dataDirectory is null ? null : Path.Combine(dataDirectory, "scifact", "corpus.jsonl");
        if (corpus is not null && File.Exists(corpus))
        {
            return File.ReadLines(corpus).Take(count).Select((line, i) =>
            {
                using var json = System.Text.Json.JsonDocument.Parse(line);
                var text = json.RootElement.GetProperty("title").GetString() + "\n" + json.RootElement.GetProperty("text").GetString();
                return new Document($"doc{i:D5}", $"doc{i:D5}.txt", text);
            }).ToList();
        }
        return SyntheticText.Documents(count).ToList();
    }
}

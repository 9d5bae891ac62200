using System.Diagnostics;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage.Embedded;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Bench;

/// <summary>
/// What a re-ingest costs in embedding calls (issue 11, item 4), counted at the embedding model:
/// <list type="number">
/// <item>one paragraph edited in a 300-page book (its extracted text as a .txt copy: editing the PDF
/// itself is impractical); the target is at most 2% of its chunks re-embedded;</item>
/// <item>an unchanged re-ingest of the PDF itself (target: none);</item>
/// <item>a folder of 100 files renamed inside the ingested root, and the root itself moved and
/// re-bound (target: none re-embedded, the old ids removed).</item>
/// </list>
/// Input: --realworld DIR (the folder holding pdf/009-pdflatex-geotopo__GeoTopo-komprimiert.pdf).
/// </summary>
internal static class ReembedBenchmark
{
    private const string Book = "pdf/009-pdflatex-geotopo__GeoTopo-komprimiert.pdf";

    public static async Task RunAsync(string[] options)
    {
        var realworld = BenchArgs.String(options, "--realworld") ?? "/work/shared/data/realworld";
        var pdf = Path.Combine(realworld, Book);
        if (!File.Exists(pdf))
        {
            Console.WriteLine($"skipped: {pdf} not found (give --realworld DIR)");
            return;
        }

        var folder = Path.Combine(Path.GetTempPath(), $"kqa-bench-reembed-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using var model = new OnnxEmbeddingGenerator(new EmbeddingOptions());
            var counter = new CountingEmbedder(model);
            var chunking = new ChunkingOptions();
            var readers = DocumentReaderRegistry.CreateDefault();
            var stores = new List<EmbeddedKnowledgeStore>();
            // A store per part, so that one part's vectors are not reused by the next.
            IngestionPipeline NewPipeline(string name)
            {
                var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = Path.Combine(folder, name, "knowledge.db") });
                stores.Add(store);
                return new IngestionPipeline(readers, new TextChunker(model.TokenCounter, chunking), chunking, counter,
                    new Bm25SparseEncoder(new Bm25Options()), store, new EmbeddingModelInfo(model.ModelId, model.Dimensions));
            }

            var book = await readers.ReadFileAsync(pdf, "book");
            // The text as paragraphs, without the control characters some of its pages hold (the text
            // reader would refuse those files as binary; cleaning PDF text is the readers' job).
            var paragraphs = book.Blocks
                .Select(b => new string(book.Text.Substring(b.Start, b.Length).Select(c => char.IsControl(c) && c != '\n' ? ' ' : c).ToArray()).Trim())
                .Where(p => p.Length > 0)
                .ToList();

            await EditedParagraphAsync(NewPipeline("kb-edit"), counter, folder, paragraphs);
            await UnchangedPdfAsync(NewPipeline("kb-pdf"), counter, folder, pdf);
            await RenamedFolderAsync(NewPipeline("kb-rename"), counter, folder, paragraphs);
            foreach (var store in stores)
                await store.DisposeAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task EditedParagraphAsync(IngestionPipeline pipeline, CountingEmbedder counter, string folder, List<string> paragraphs)
    {
        var copy = Path.Combine(folder, "book", "geotopo.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        await File.WriteAllTextAsync(copy, string.Join("\n\n", paragraphs));
        counter.Reset();
        var first = await pipeline.IngestAsync([copy]);
        var chunks = first.Files.Single().Chunks;
        var embeddedFirst = counter.Texts;

        // One paragraph in the middle of the book, long enough to be a real paragraph, rewritten.
        var middle = Enumerable.Range(paragraphs.Count / 2, paragraphs.Count / 2).First(i => paragraphs[i].Length > 300);
        var edited = paragraphs.ToList();
        edited[middle] = "Edited: " + edited[middle][..(edited[middle].Length / 2)] + " (a sentence added by the edit) " + edited[middle][(edited[middle].Length / 2)..];
        await File.WriteAllTextAsync(copy, string.Join("\n\n", edited));
        counter.Reset();
        var watch = Stopwatch.StartNew();
        var second = await pipeline.IngestAsync([copy]);
        watch.Stop();

        Console.WriteLine($"book: {paragraphs.Count} paragraphs, {chunks} chunks; first ingest embedded {embeddedFirst}");
        Console.WriteLine($"one paragraph edited (paragraph {middle}): re-embedded {counter.Texts} of {chunks} chunks = {100.0 * counter.Texts / chunks:0.00}% " +
                          $"(target <= 2%), reused {second.ReusedChunks}, {watch.Elapsed.TotalSeconds:0.0} s; outcome {second.Files.Single().Outcome}");
    }

    private static async Task UnchangedPdfAsync(IngestionPipeline pipeline, CountingEmbedder counter, string folder, string pdf)
    {
        var copy = Path.Combine(folder, "pdf", Path.GetFileName(pdf));
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(pdf, copy);
        await pipeline.IngestAsync([copy]);
        counter.Reset();
        var watch = Stopwatch.StartNew();
        var again = await pipeline.IngestAsync([copy]);
        watch.Stop();
        Console.WriteLine($"unchanged PDF re-ingested: {again.Unchanged} unchanged, re-embedded {counter.Texts} chunks (target 0), {watch.Elapsed.TotalSeconds:0.00} s");
    }

    private static async Task RenamedFolderAsync(IngestionPipeline pipeline, CountingEmbedder counter, string folder, List<string> paragraphs)
    {
        // 100 files of real text: the book cut into 100 parts.
        var root = Path.Combine(folder, "library");
        var per = Math.Max(1, paragraphs.Count / 100);
        for (var i = 0; i < 100; i++)
        {
            var path = Path.Combine(root, "chapters", $"part-{i:D3}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, string.Join("\n\n", paragraphs.Skip(i * per).Take(per)) + $"\n\nPart {i}.");
        }
        counter.Reset();
        var first = await pipeline.IngestAsync([root]);
        var embeddedFirst = counter.Texts;
        foreach (var failed in first.Files.Where(f => f.Outcome is IngestionOutcome.Failed or IngestionOutcome.Skipped).Take(3))
            Console.WriteLine($"  not in: {failed.Path}: {failed.Reason}");

        Directory.Move(Path.Combine(root, "chapters"), Path.Combine(root, "renamed-chapters"));
        counter.Reset();
        var renamed = await pipeline.IngestAsync([root]);
        Console.WriteLine($"{first.Added} files ({first.Chunks} chunks, {embeddedFirst} embedded at first): folder renamed inside the root -> " +
                          $"{renamed.Added} added, {renamed.Removed} removed, re-embedded {counter.Texts} (target 0)");

        var moved = Path.Combine(folder, "library-moved");
        Directory.Move(root, moved);
        counter.Reset();
        var rebound = await pipeline.IngestAsync([moved], new IngestionOptions { SourceName = "library", Rebind = true });
        Console.WriteLine($"root moved and re-bound (--source library --rebind): {rebound.Added} added, {rebound.Replaced} replaced, " +
                          $"{rebound.Removed} removed, re-embedded {counter.Texts} (target 0)");
    }

    /// <summary>Counts the texts that reach the model.</summary>
    private sealed class CountingEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        private int _texts;

        public int Texts => _texts;

        public void Reset() => _texts = 0;

        public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = values.ToList();
            Interlocked.Add(ref _texts, list.Count);
            return base.GenerateAsync(list, options, cancellationToken);
        }
    }
}

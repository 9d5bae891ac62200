using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Tests.Storage;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

/// <summary>
/// A store embedded by the float32 model must not silently answer int8 queries (or the reverse): the vectors
/// have the same size, so only the model name the store records tells them apart.
/// </summary>
public sealed class PrecisionMixingTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Queries_of_the_other_precision_are_refused_with_the_option_to_set()
    {
        using var fp32 = new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = EmbeddingPrecision.Float32, IntraOpThreads = 2 });
        using var int8 = new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = EmbeddingPrecision.Int8, IntraOpThreads = 2 });
        var lexical = new Bm25SparseEncoder();
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _folder.File("knowledge.db") });
        var chunking = new ChunkingOptions();
        var pipeline = new IngestionPipeline(DocumentReaderRegistry.CreateDefault(), new TextChunker(fp32.TokenCounter, chunking), chunking,
            fp32, lexical, store, new EmbeddingModelInfo(fp32.ModelId, fp32.Dimensions));
        var cancellation = TestContext.Current.CancellationToken;
        await pipeline.IngestDocumentsAsync([new Document("charging.txt", "charging.txt", "A full charge of the battery takes about four hours.")],
            cancellationToken: cancellation);

        var mixed = new KnowledgeRetriever(int8, lexical, store);
        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() =>
            mixed.SearchAsync("How long does charging take?", new RetrievalOptions(), cancellation));
        var lexicalOnly = await mixed.SearchAsync("How long does charging take?", new RetrievalOptions { Mode = SearchMode.Lexical }, cancellation);
        var same = await new KnowledgeRetriever(fp32, lexical, store).SearchAsync("How long does charging take?", new RetrievalOptions(), cancellation);

        Assert.Contains("'all-MiniLM-L6-v2'", error.Message);
        Assert.Contains("'all-MiniLM-L6-v2-int8'", error.Message);
        Assert.Contains("Precision to Float32", error.Message);
        Assert.Single(lexicalOnly);
        Assert.Equal("charging.txt", Assert.Single(same).Chunk.DocumentId);
        // Writing int8 vectors into the float32 store is refused too, before anything is written.
        var int8Pipeline = new IngestionPipeline(DocumentReaderRegistry.CreateDefault(), new TextChunker(int8.TokenCounter, chunking), chunking,
            int8, lexical, store, new EmbeddingModelInfo(int8.ModelId, int8.Dimensions));
        await Assert.ThrowsAsync<KnowledgeStoreException>(() => int8Pipeline.IngestDocumentsAsync(
            [new Document("other.txt", "other.txt", "Another document.")], cancellationToken: cancellation));
        Assert.Equal(1, (await store.GetStatisticsAsync(cancellation)).Documents);
    }
}

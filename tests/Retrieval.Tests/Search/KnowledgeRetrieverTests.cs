using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Tests.Embeddings;
using TempFolder = KnowledgeQa.Retrieval.Tests.Storage.TempFolder;

namespace KnowledgeQa.Retrieval.Tests.Search;

public sealed class KnowledgeRetrieverTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>, IDisposable
{
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    /// <summary>
    /// A store written before chunks were bounded in characters can hold a 5 MB chunk; ranked first for an
    /// unrelated query, it must not make every search return 5 MB.
    /// </summary>
    [Theory]
    [InlineData(SearchMode.Hybrid)]
    [InlineData(SearchMode.Dense)]
    [InlineData(SearchMode.Lexical)]
    public async Task No_hit_carries_more_text_than_the_bound(SearchMode mode)
    {
        var lexical = new Bm25SparseEncoder();
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _folder.File("store.db") });
        await store.InitializeAsync(model.Generator.Dimensions, model.Generator.ModelId, Ct);
        var huge = "battery charge " + string.Concat(Enumerable.Repeat("é", 5 * 1024 * 1024));
        var normal = "A full charge of the battery takes 4.5 hours with the supplied charger.";
        await store.UpsertDocumentAsync(
            new StoredDocument { Id = "old.txt", Source = "old.txt", ContentHash = "h", IngestedAt = DateTimeOffset.UnixEpoch },
            [
                await IndexedAsync("old.txt", 0, huge, lexical),
                await IndexedAsync("old.txt", 1, normal, lexical),
            ],
            Ct);
        var retriever = new KnowledgeRetriever(model.Generator, lexical, store);

        var hits = await retriever.SearchAsync("battery charge", new RetrievalOptions { Top = 2, Mode = mode }, Ct);

        Assert.Equal(2, hits.Count);
        Assert.All(hits, hit => Assert.InRange(hit.Chunk.Text.Length, 1, KnowledgeRetriever.DefaultMaxHitCharacters));
        var cut = hits.Single(hit => hit.Chunk.Index == 0).Chunk;
        Assert.StartsWith("battery charge éé", cut.Text);
        Assert.Equal(cut.Start + cut.Text.Length, cut.End);
        Assert.Equal(normal, hits.Single(hit => hit.Chunk.Index == 1).Chunk.Text);
    }

    private async Task<IndexedChunk> IndexedAsync(string documentId, int index, string text, ILexicalEncoder lexical)
    {
        var vector = await model.Generator.EmbedOneAsync(text[..Math.Min(text.Length, 2000)]);
        var chunk = new Chunk { Id = Chunk.CreateId(documentId, index, text), DocumentId = documentId, Index = index, Text = text, Start = 0, End = text.Length };
        return new IndexedChunk(chunk, vector, lexical.EncodeDocument(text));
    }
}

using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>The store contract under concurrent writers of one document, from two store instances (two processes, as far as the store can tell).</summary>
public abstract partial class KnowledgeStoreConformanceTests
{
    /// <summary>A second store on the data of the store <see cref="CreateStoreAsync"/> made last (same file, same collection).</summary>
    protected abstract Task<IKnowledgeStore> CreateStoreOnSameDataAsync();

    [Fact]
    public async Task Concurrent_writers_of_one_document_with_different_content_leave_one_whole_version()
    {
        var first = await NewStoreAsync();
        var second = await CreateStoreOnSameDataAsync();
        _stores.Add(second);
        await second.InitializeAsync(Dimensions, Model, Ct);
        // Eight versions of different sizes, each with its own term, so a mix would show in every count.
        var versions = Enumerable.Range(0, 8)
            .Select(v => (Document: Doc("shared", hash: $"v{v}"),
                Chunks: Enumerable.Range(0, v + 1).Select(i => Indexed("shared", i, $"version {v} part {i}", Unit(i % Dimensions), Terms(((uint)(10 + v), 1f)))).ToArray()))
            .ToArray();

        await Task.WhenAll(versions.Select((version, i) => Task.Run(() => (i % 2 == 0 ? first : second).UpsertDocumentAsync(version.Document, version.Chunks, Ct))));

        var stored = await first.GetDocumentAsync("shared", Ct);
        Assert.NotNull(stored);
        var winner = versions.Single(v => v.Document.ContentHash == stored.ContentHash);
        Assert.Equal(winner.Chunks.Length, stored.ChunkCount);
        foreach (var store in new[] { first, second })
        {
            Assert.Equal(winner.Chunks.Select(c => c.Chunk.Text), (await ToListAsync(store.ReadChunksAsync("shared", Ct))).Select(c => c.Chunk.Text));
            Assert.Equal(new StoreStatistics(1, winner.Chunks.Length, Dimensions, Model), await store.GetStatisticsAsync(Ct));
        }

        var allTerms = Terms([.. Enumerable.Range(10, 8).Select(t => ((uint)t, 1f))]);
        var winnerIds = winner.Chunks.Select(c => c.Chunk.Id).Order(StringComparer.Ordinal).ToArray();
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var hits = await second.SearchAsync(Query(mode, Unit(0), allTerms, top: 50), Ct);
            Assert.Equal(winnerIds, hits.Select(h => h.Chunk.Id).Order(StringComparer.Ordinal));
        }
    }
}

using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>Batch writes (<see cref="IKnowledgeStore.UpsertDocumentsAsync"/>): each document as a single write would be, a refused one alone.</summary>
public abstract partial class KnowledgeStoreConformanceTests
{
    [Fact]
    public async Task A_batch_writes_each_document_as_single_writes_would()
    {
        var store = await NewStoreAsync();
        await store.UpsertDocumentAsync(Doc("kept"), [Indexed("kept", 0, "kept text", Unit(0))], Ct);
        await store.UpsertDocumentAsync(Doc("changed"), [Indexed("changed", 0, "old text", Unit(1)), Indexed("changed", 1, "old second", Unit(2))], Ct);

        var results = await store.UpsertDocumentsAsync(
        [
            new DocumentUpsert(Doc("new"), [Indexed("new", 0, "new text", Unit(3), Terms((4, 1f)))]),
            new DocumentUpsert(Doc("kept"), [Indexed("kept", 0, "kept text", Unit(0))]),
            new DocumentUpsert(Doc("changed", hash: "hash-2"), [Indexed("changed", 0, "new version", Unit(1, 2))]),
        ], Ct);

        Assert.Equal(["new", "kept", "changed"], results.Select(r => r.DocumentId));
        Assert.Equal([DocumentWriteResult.Added, DocumentWriteResult.Unchanged, DocumentWriteResult.Replaced], results.Select(r => r.Result));
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(new StoreStatistics(3, 3, Dimensions, Model), await store.GetStatisticsAsync(Ct));
        var changed = await ToListAsync(store.ReadChunksAsync("changed", Ct));
        Assert.Equal(["new version"], changed.Select(c => c.Chunk.Text));
        var hits = await store.SearchAsync(Query(SearchMode.Hybrid, Unit(3), Terms((4, 1f)), top: 1), Ct);
        Assert.Equal("new", Assert.Single(hits).Chunk.DocumentId);
    }

    [Fact]
    public async Task A_refused_document_of_a_batch_is_named_and_the_others_go_in()
    {
        var store = await NewStoreAsync();
        var results = await store.UpsertDocumentsAsync(
        [
            new DocumentUpsert(Doc("before"), [Indexed("before", 0, "before text", Unit(0))]),
            new DocumentUpsert(Doc("bad"), [Indexed("bad", 0, "five numbers", new float[Dimensions + 1])]),
            new DocumentUpsert(Doc("after"), [Indexed("after", 0, "after text", Unit(1))]),
        ], Ct);

        Assert.True(results[0].Succeeded);
        Assert.True(results[2].Succeeded);
        var refused = results[1];
        Assert.False(refused.Succeeded);
        Assert.Null(refused.Result);
        Assert.Equal("bad", refused.DocumentId);
        Assert.Contains("bad", refused.Error!.Message);
        Assert.Null(await store.GetDocumentAsync("bad", Ct));
        Assert.NotNull(await store.GetDocumentAsync("before", Ct));
        Assert.NotNull(await store.GetDocumentAsync("after", Ct));
        Assert.Equal(new StoreStatistics(2, 2, Dimensions, Model), await store.GetStatisticsAsync(Ct));
    }
}

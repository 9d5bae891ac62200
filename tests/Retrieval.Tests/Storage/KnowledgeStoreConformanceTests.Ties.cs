using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>Equal fused scores come back in one order on every store: by chunk id.</summary>
public abstract partial class KnowledgeStoreConformanceTests
{
    [Fact]
    public async Task Hybrid_ties_are_broken_by_chunk_id_whatever_the_write_order()
    {
        var store = await NewStoreAsync();
        // "near" is first by cosine and second lexically, "far" the other way round: both fuse to
        // 1/61 + 1/62. Written so that the chunk with the larger id goes in first (lower row id),
        // which is the order a store that breaks ties by write order would return.
        var near = Indexed("tie-near", 0, "near text", Unit(0), Terms((5, 0.5f)));
        var far = Indexed("tie-far", 0, "far text", Unit(0, 1), Terms((5, 1f)));
        var (first, second) = string.CompareOrdinal(near.Chunk.Id, far.Chunk.Id) > 0 ? (near, far) : (far, near);
        await store.UpsertDocumentAsync(Doc(first.Chunk.DocumentId), [first], Ct);
        await store.UpsertDocumentAsync(Doc(second.Chunk.DocumentId), [second], Ct);
        // A third document without the term, so that it is not in every chunk.
        await store.UpsertDocumentAsync(Doc("tie-other"), [Indexed("tie-other", 0, "other text", Unit(3), Terms((6, 1f)))], Ct);

        var query = Query(SearchMode.Hybrid, Unit(0), Terms((5, 1f)), top: 2);
        var both = await store.SearchAsync(query, Ct);
        Assert.Equal(2, both.Count);
        Assert.Equal(both[0].Score, both[1].Score, 6);
        Assert.Equal([second.Chunk.Id, first.Chunk.Id], both.Select(h => h.Chunk.Id));

        // The tie straddles the cut at one hit: the smaller chunk id is the one kept.
        var one = await store.SearchAsync(query with { Top = 1 }, Ct);
        Assert.Equal(second.Chunk.Id, Assert.Single(one).Chunk.Id);
    }
}

using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>
/// Filters with very many values (tags, document ids) on the SQLite store: callers are capped well
/// below this (RequestLimits.MaxTags), but the store itself must take any list and stay correct.
/// </summary>
public sealed class LargeFilterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(SearchMode.Dense)]
    [InlineData(SearchMode.Lexical)]
    [InlineData(SearchMode.Hybrid)]
    public async Task A_filter_of_40000_tags_and_ids_finds_exactly_the_documents_it_names(SearchMode mode)
    {
        // Over SQLite's 32,766 bound parameters: one parameter per value could not even run.
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _folder.File("store.db") });
        await store.InitializeAsync(2, "test-model", Ct);
        await store.UpsertDocumentAsync(Doc("wanted", "tag-39999"), [Indexed("wanted", "ferry timetable")], Ct);
        await store.UpsertDocumentAsync(Doc("other", "unlisted"), [Indexed("other", "ferry timetable")], Ct);

        var tags = Enumerable.Range(0, 40_000).Select(i => $"tag-{i}").ToList();
        var ids = Enumerable.Range(0, 40_000).Select(i => $"doc-{i}").Append("wanted").Append("other").ToList();
        var query = new StoreQuery
        {
            Mode = mode,
            Vector = new float[] { 1, 0 },
            Sparse = new SparseVector([7], [1f]),
            Top = 10,
            Filter = new SearchFilter { Tags = tags, DocumentIds = ids },
        };

        var hits = await store.SearchAsync(query, Ct);

        Assert.Equal(["wanted"], hits.Select(h => h.Chunk.DocumentId));
    }

    private static StoredDocument Doc(string id, string tag) => new()
    {
        Id = id,
        Source = id + ".txt",
        ContentHash = "h",
        IngestedAt = DateTimeOffset.UnixEpoch,
        Tags = [tag],
    };

    private static IndexedChunk Indexed(string documentId, string text) => new(
        new Chunk { Id = Chunk.CreateId(documentId, 0, text), DocumentId = documentId, Index = 0, Text = text, Start = 0, End = text.Length },
        new float[] { 1, 0 },
        new SparseVector([7], [1f]));
}

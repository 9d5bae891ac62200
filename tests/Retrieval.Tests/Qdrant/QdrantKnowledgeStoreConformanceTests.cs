using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using KnowledgeQa.Retrieval.Tests.Storage;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// The store contract on a real Qdrant server (QDRANT_URL), each store in a fresh collection that
/// is deleted afterwards. Skipped, with the reason, when QDRANT_URL is not set.
/// </summary>
public sealed class QdrantKnowledgeStoreConformanceTests : KnowledgeStoreConformanceTests
{
    private readonly List<QdrantStoreOptions> _collections = [];

    protected override string? SkipReason => QdrantTestServer.Url is null ? QdrantTestServer.SkipReason : null;

    protected override Task<IKnowledgeStore> CreateStoreAsync(int dimensions)
    {
        var options = QdrantTestServer.FreshCollection();
        _collections.Add(options);
        return Task.FromResult<IKnowledgeStore>(new QdrantKnowledgeStore(options));
    }

    protected override Task<IKnowledgeStore> CreateStoreOnSameDataAsync() =>
        Task.FromResult<IKnowledgeStore>(new QdrantKnowledgeStore(_collections[^1]));

    protected override async ValueTask AfterStoresDisposedAsync()
    {
        // The test's stores are disposed by now; a store of our own removes their collections.
        foreach (var options in _collections)
        {
            await using var store = new QdrantKnowledgeStore(options);
            await store.DeleteCollectionsAsync(CancellationToken.None);
        }
    }
}

using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>The store contract on a real SQLite file in a temporary folder.</summary>
public sealed class EmbeddedKnowledgeStoreConformanceTests : KnowledgeStoreConformanceTests
{
    private readonly TempFolder _folder = new();

    protected override Task<IKnowledgeStore> CreateStoreAsync(int dimensions) =>
        Task.FromResult<IKnowledgeStore>(new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _folder.File($"store-{Guid.NewGuid():N}.db") }));

    protected override ValueTask AfterStoresDisposedAsync()
    {
        // Deleting the folder also proves the store released its file handles.
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}

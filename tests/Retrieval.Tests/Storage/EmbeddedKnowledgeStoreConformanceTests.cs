using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>The store contract on a real SQLite file in a temporary folder.</summary>
public sealed class EmbeddedKnowledgeStoreConformanceTests : KnowledgeStoreConformanceTests
{
    private readonly TempFolder _folder = new();
    private string? _lastPath;

    protected override Task<IKnowledgeStore> CreateStoreAsync(int dimensions)
    {
        _lastPath = _folder.File($"store-{Guid.NewGuid():N}.db");
        return Task.FromResult<IKnowledgeStore>(new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _lastPath }));
    }

    protected override Task<IKnowledgeStore> CreateStoreOnSameDataAsync() =>
        Task.FromResult<IKnowledgeStore>(new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _lastPath ?? throw new InvalidOperationException("No store made yet.") }));

    protected override ValueTask AfterStoresDisposedAsync()
    {
        // Deleting the folder also proves the store released its file handles.
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}

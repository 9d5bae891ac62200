using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>The store contract on a real SQLite file in a temporary folder (small stores: searched in memory).</summary>
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

/// <summary>
/// The same contract with the index file in use from the first chunk, rebuilt after every write:
/// every search runs on a freshly built, memory-mapped file.
/// </summary>
public sealed class EmbeddedKnowledgeStoreIndexFileConformanceTests : KnowledgeStoreConformanceTests
{
    private readonly TempFolder _folder = new();
    private string? _lastPath;

    protected override Task<IKnowledgeStore> CreateStoreAsync(int dimensions)
    {
        _lastPath = _folder.File($"store-{Guid.NewGuid():N}.db");
        return CreateStoreOnSameDataAsync();
    }

    protected override Task<IKnowledgeStore> CreateStoreOnSameDataAsync() =>
        Task.FromResult<IKnowledgeStore>(new EmbeddedKnowledgeStore(
            new EmbeddedStoreOptions { Path = _lastPath ?? throw new InvalidOperationException("No store made yet.") },
            new SearchIndexOptions { MinimumFileRows = 1, RebuildMinimumRows = 0, RebuildFraction = 0, RebuildInBackground = false }));

    protected override ValueTask AfterStoresDisposedAsync()
    {
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The same contract with an index file built once and never rebuilt: later writes live in memory
/// beside it, and deletions and replacements are marked against it.
/// </summary>
public sealed class EmbeddedKnowledgeStoreIndexFileWithChangesConformanceTests : KnowledgeStoreConformanceTests
{
    private readonly TempFolder _folder = new();
    private string? _lastPath;

    protected override Task<IKnowledgeStore> CreateStoreAsync(int dimensions)
    {
        _lastPath = _folder.File($"store-{Guid.NewGuid():N}.db");
        return CreateStoreOnSameDataAsync();
    }

    protected override Task<IKnowledgeStore> CreateStoreOnSameDataAsync() =>
        Task.FromResult<IKnowledgeStore>(new EmbeddedKnowledgeStore(
            new EmbeddedStoreOptions { Path = _lastPath ?? throw new InvalidOperationException("No store made yet.") },
            new SearchIndexOptions { MinimumFileRows = 1, RebuildMinimumRows = int.MaxValue, RebuildInBackground = false }));

    protected override ValueTask AfterStoresDisposedAsync()
    {
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}

using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>
/// The store contract on a real SQLite file in a temporary folder, with the search index set up as
/// the index options say (null: the defaults, so small stores are searched in memory).
/// </summary>
public abstract class EmbeddedStoreConformanceTests : KnowledgeStoreConformanceTests
{
    private readonly TempFolder _folder = new();
    private readonly SearchIndexOptions? index;

    // Not public: the index options are internal to the store.
    private protected EmbeddedStoreConformanceTests(SearchIndexOptions? index) => this.index = index;
    private string? _lastPath;

    protected override Task<IKnowledgeStore> CreateStoreAsync(int dimensions)
    {
        _lastPath = _folder.File($"store-{Guid.NewGuid():N}.db");
        return CreateStoreOnSameDataAsync();
    }

    protected override Task<IKnowledgeStore> CreateStoreOnSameDataAsync()
    {
        var options = new EmbeddedStoreOptions { Path = _lastPath ?? throw new InvalidOperationException("No store made yet.") };
        return Task.FromResult<IKnowledgeStore>(index is null ? new EmbeddedKnowledgeStore(options) : new EmbeddedKnowledgeStore(options, index));
    }

    protected override ValueTask AfterStoresDisposedAsync()
    {
        // Deleting the folder also proves the store released its file handles.
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The store contract with the default index settings (small stores: searched in memory).</summary>
public sealed class EmbeddedKnowledgeStoreConformanceTests() : EmbeddedStoreConformanceTests(null);

/// <summary>
/// The same contract with the index file in use from the first chunk, rebuilt after every write:
/// every search runs on a freshly built, memory-mapped file.
/// </summary>
public sealed class EmbeddedKnowledgeStoreIndexFileConformanceTests() : EmbeddedStoreConformanceTests(
    new SearchIndexOptions { MinimumFileRows = 1, RebuildMinimumRows = 0, RebuildFraction = 0, RebuildInBackground = false });

/// <summary>
/// The same contract with an index file built once and never rebuilt: later writes live in memory
/// beside it, and deletions and replacements are marked against it.
/// </summary>
public sealed class EmbeddedKnowledgeStoreIndexFileWithChangesConformanceTests() : EmbeddedStoreConformanceTests(
    new SearchIndexOptions { MinimumFileRows = 1, RebuildMinimumRows = int.MaxValue, RebuildInBackground = false });

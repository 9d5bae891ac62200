using System.Runtime.CompilerServices;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Migration;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

public sealed class KnowledgeBaseMigratorTests
{
    private static async Task<ListStore> SourceWithAsync(params (string Id, int Chunks)[] documents)
    {
        var store = new ListStore();
        await store.InitializeAsync(Dimensions, Model, TestContext.Current.CancellationToken);
        foreach (var (id, count) in documents)
        {
            await store.UpsertDocumentAsync(Document(id, tags: ["t"]), Chunks(id, count), TestContext.Current.CancellationToken);
        }

        return store;
    }

    [Fact]
    public async Task Every_document_is_copied_with_its_vectors_and_lexical_weights_and_the_counts_match()
    {
        var source = await SourceWithAsync(("a.md", 3), ("b.md", 1), ("c.md", 5));
        var target = new ListStore();
        var reports = new List<MigrationProgress>();

        var result = await new KnowledgeBaseMigrator(source, target).MigrateAsync(new SynchronousProgress(reports), TestContext.Current.CancellationToken);

        Assert.Equal((3, 0, 9, 0), (result.DocumentsCopied, result.DocumentsSkipped, result.ChunksCopied, result.ChunksSkipped));
        Assert.True(result.CountsMatch);
        Assert.Equal(new StoreStatistics(3, 9, Dimensions, Model), result.Target);
        Assert.Equal((Dimensions, Model), target.Initialized);
        foreach (var id in new[] { "a.md", "b.md", "c.md" })
        {
            var expected = source.ChunksOf(id);
            var copied = target.ChunksOf(id);
            Assert.Equal(expected.Select(c => c.Chunk.Id), copied.Select(c => c.Chunk.Id));
            Assert.Equal(expected.Select(c => c.Vector.ToArray()), copied.Select(c => c.Vector.ToArray()));
            Assert.Equal(expected.Select(c => c.Sparse.Indices), copied.Select(c => c.Sparse.Indices));
            Assert.Equal(expected.Select(c => c.Sparse.Values), copied.Select(c => c.Sparse.Values));
            Assert.Equal(source.Documents[id].ContentHash, target.Documents[id].ContentHash);
        }

        Assert.Equal([1, 2, 3], reports.Select(r => r.DocumentsDone));
        Assert.All(reports, r => Assert.Equal(3, r.DocumentsTotal));
        Assert.Equal(9, reports[^1].ChunksCopied);
    }

    [Fact]
    public async Task A_second_run_skips_everything_and_an_interrupted_run_is_completed_by_running_again()
    {
        var source = await SourceWithAsync(("a.md", 2), ("b.md", 2), ("c.md", 2));
        var target = new ListStore { FailOnUpsertOf = "b.md" };
        var migrator = new KnowledgeBaseMigrator(source, target);

        await Assert.ThrowsAsync<IOException>(() => migrator.MigrateAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(["a.md"], target.Documents.Keys);

        var resumed = await migrator.MigrateAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((2, 1, 4, 2), (resumed.DocumentsCopied, resumed.DocumentsSkipped, resumed.ChunksCopied, resumed.ChunksSkipped));
        Assert.True(resumed.CountsMatch);

        var again = await migrator.MigrateAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((0, 3, 0, 6), (again.DocumentsCopied, again.DocumentsSkipped, again.ChunksCopied, again.ChunksSkipped));
        Assert.Equal(3, target.UpsertCount);
    }

    [Fact]
    public async Task A_document_changed_in_the_source_since_the_last_run_is_copied_again()
    {
        var source = await SourceWithAsync(("a.md", 2), ("b.md", 2));
        var target = new ListStore();
        await new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: TestContext.Current.CancellationToken);
        await source.UpsertDocumentAsync(Document("a.md") with { ContentHash = "edited" }, Chunks("a.md", 4), TestContext.Current.CancellationToken);

        var result = await new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((1, 1, 4, 2), (result.DocumentsCopied, result.DocumentsSkipped, result.ChunksCopied, result.ChunksSkipped));
        Assert.Equal("edited", target.Documents["a.md"].ContentHash);
        Assert.Equal(4, target.ChunksOf("a.md").Count);
        Assert.True(result.CountsMatch);
    }

    [Fact]
    public async Task Documents_only_the_target_holds_make_the_counts_differ()
    {
        var source = await SourceWithAsync(("a.md", 2));
        var target = new ListStore();
        await target.InitializeAsync(Dimensions, Model, TestContext.Current.CancellationToken);
        await target.UpsertDocumentAsync(Document("other.md"), Chunks("other.md", 3), TestContext.Current.CancellationToken);

        var result = await new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.False(result.CountsMatch);
        Assert.Contains("MISMATCH", result.Summary);
        Assert.Contains("target 2 / 5", result.Summary);
        Assert.True(target.Documents.ContainsKey("other.md"));
    }

    [Fact]
    public async Task A_target_built_for_another_model_is_refused_before_anything_is_written()
    {
        var source = await SourceWithAsync(("a.md", 2));
        var target = new ListStore();
        await target.InitializeAsync(Dimensions, "another-model", TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(0, target.UpsertCount);
    }

    [Fact]
    public async Task An_empty_source_migrates_nothing()
    {
        var result = await new KnowledgeBaseMigrator(new ListStore(), new ListStore()).MigrateAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0, result.DocumentsCopied);
        Assert.True(result.CountsMatch);
    }

    [Fact]
    public void A_store_cannot_be_migrated_into_itself()
    {
        var store = new ListStore();
        Assert.Throws<ArgumentException>(() => new KnowledgeBaseMigrator(store, store));
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts asynchronously).</summary>
    private sealed class SynchronousProgress(List<MigrationProgress> reports) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => reports.Add(value);
    }

    /// <summary>
    /// A minimal list-backed store for exercising the migrator's orchestration: no search, no
    /// persistence. It can fail one document's write to simulate an interrupted run.
    /// </summary>
    private sealed class ListStore : IKnowledgeStore
    {
        private readonly Dictionary<string, List<IndexedChunk>> _chunks = [];

        public Dictionary<string, StoredDocument> Documents { get; } = [];

        public (int Dimensions, string Model)? Initialized { get; private set; }

        public string? FailOnUpsertOf { get; set; }

        public int UpsertCount { get; private set; }

        public IReadOnlyList<IndexedChunk> ChunksOf(string id) => _chunks[id];

        public Task InitializeAsync(int dimensions, string embeddingModel, CancellationToken cancellationToken = default)
        {
            if (Initialized is { } existing && existing != (dimensions, embeddingModel))
            {
                throw new KnowledgeStoreException($"holds {existing.Model}, not {embeddingModel}");
            }

            Initialized = (dimensions, embeddingModel);
            return Task.CompletedTask;
        }

        public Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default) =>
            Task.FromResult(Documents.GetValueOrDefault(documentId));

        public Task UpsertDocumentAsync(StoredDocument document, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken = default)
        {
            if (FailOnUpsertOf == document.Id)
            {
                FailOnUpsertOf = null;
                throw new IOException("connection lost");
            }

            UpsertCount++;
            _chunks[document.Id] = [.. chunks];
            Documents[document.Id] = document with { ChunkCount = chunks.Count };
            return Task.CompletedTask;
        }

        public Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default) =>
            Task.FromResult(_chunks.Remove(documentId) & Documents.Remove(documentId));

        public async IAsyncEnumerable<StoredDocument> ListDocumentsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var document in Documents.Values.ToArray())
            {
                await Task.Yield();
                yield return document;
            }
        }

        public async IAsyncEnumerable<IndexedChunk> ReadChunksAsync(string documentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var chunk in _chunks.GetValueOrDefault(documentId) ?? [])
            {
                await Task.Yield();
                yield return chunk;
            }
        }

        public Task<IReadOnlyList<SearchHit>> SearchAsync(StoreQuery query, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The migrator never searches.");

        public Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult(new StoreStatistics(Documents.Count, _chunks.Values.Sum(c => c.Count), Initialized?.Dimensions ?? 0, Initialized?.Model));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

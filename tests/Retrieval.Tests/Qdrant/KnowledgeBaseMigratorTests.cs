using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Migration;
using KnowledgeQa.Retrieval.Tests.Storage;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>The migrator between two real embedded stores (SQLite files in a temp folder).</summary>
public sealed class KnowledgeBaseMigratorTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly List<EmbeddedKnowledgeStore> _stores = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _folder.Dispose();
    }

    private EmbeddedKnowledgeStore NewStore(string name)
    {
        var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _folder.File(name + ".db") });
        _stores.Add(store);
        return store;
    }

    private async Task<EmbeddedKnowledgeStore> SourceWithAsync(params (string Id, int Chunks)[] documents)
    {
        var store = NewStore("source");
        await store.InitializeAsync(Dimensions, Model, Ct);
        foreach (var (id, count) in documents)
        {
            await store.UpsertDocumentAsync(Document(id, tenant: "acme", tags: ["t"]), Chunks(id, count), Ct);
        }

        return store;
    }

    [Fact]
    public async Task Every_document_is_copied_with_its_vectors_and_lexical_weights_and_the_counts_match()
    {
        var source = await SourceWithAsync(("a.md", 3), ("b.md", 1), ("c.md", 5));
        var target = NewStore("target");
        var reports = new List<MigrationProgress>();

        var result = await new KnowledgeBaseMigrator(source, target).MigrateAsync(new SynchronousProgress(reports.Add), Ct);

        Assert.Equal((3, 0, 9, 0), (result.DocumentsCopied, result.DocumentsSkipped, result.ChunksCopied, result.ChunksSkipped));
        Assert.True(result.CountsMatch);
        Assert.Equal(new StoreStatistics(3, 9, Dimensions, Model), result.Target);
        Assert.Equal(result.Source, result.Target);
        foreach (var id in new[] { "a.md", "b.md", "c.md" })
        {
            var expected = await source.ReadChunksAsync(id, Ct).ToListAsync(Ct);
            var copied = await target.ReadChunksAsync(id, Ct).ToListAsync(Ct);
            Assert.Equal(expected.Select(c => c.Chunk), copied.Select(c => c.Chunk), ChunkComparer.Instance);
            Assert.Equal(expected.Select(c => c.Vector.ToArray()), copied.Select(c => c.Vector.ToArray()));
            Assert.Equal(expected.Select(c => c.Sparse.Indices), copied.Select(c => c.Sparse.Indices));
            Assert.Equal(expected.Select(c => c.Sparse.Values), copied.Select(c => c.Sparse.Values));
            var copiedDocument = (await target.GetDocumentAsync(id, Ct))!;
            Assert.Equal((await source.GetDocumentAsync(id, Ct))!.ContentHash, copiedDocument.ContentHash);
            Assert.Equal("acme", copiedDocument.Tenant);
        }

        Assert.Equal([1, 2, 3], reports.Select(r => r.DocumentsDone));
        Assert.All(reports, r => Assert.Equal(3, r.DocumentsTotal));
        Assert.All(reports, r => Assert.Equal(MigrationOutcome.Copied, r.Outcome));
        Assert.Equal(9, reports[^1].ChunksCopied);
    }

    [Fact]
    public async Task The_copy_answers_searches_like_the_original()
    {
        var source = await SourceWithAsync(("a.md", 4), ("b.md", 4));
        var target = NewStore("target");
        await new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: Ct);
        var query = new StoreQuery
        {
            Vector = Chunks("b.md", 4)[2].Vector,
            Sparse = new KnowledgeQa.Retrieval.Lexical.SparseVector([12u], [1f]),
            Top = 5,
            Filter = new SearchFilter { Tenant = "acme" },
        };

        var expected = await source.SearchAsync(query, Ct);
        var actual = await target.SearchAsync(query, Ct);

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(h => (h.Chunk.Id, h.Score)), actual.Select(h => (h.Chunk.Id, h.Score)));
    }

    [Fact]
    public async Task An_interrupted_run_is_completed_by_running_again_and_a_further_run_skips_everything()
    {
        var source = await SourceWithAsync(("a.md", 2), ("b.md", 2), ("c.md", 2));
        var target = NewStore("target");
        var migrator = new KnowledgeBaseMigrator(source, target);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // Stops the way Ctrl+C does: the token fires after the first document.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => migrator.MigrateAsync(new SynchronousProgress(_ => interrupt.Cancel()), interrupt.Token));
        Assert.Equal(1, (await target.GetStatisticsAsync(Ct)).Documents);

        var resumed = await migrator.MigrateAsync(cancellationToken: Ct);
        Assert.Equal((2, 1, 4, 2), (resumed.DocumentsCopied, resumed.DocumentsSkipped, resumed.ChunksCopied, resumed.ChunksSkipped));
        Assert.True(resumed.CountsMatch);

        var again = await migrator.MigrateAsync(cancellationToken: Ct);
        Assert.Equal((0, 3, 0, 6), (again.DocumentsCopied, again.DocumentsSkipped, again.ChunksCopied, again.ChunksSkipped));
        Assert.True(again.CountsMatch);
    }

    [Fact]
    public async Task A_document_changed_in_the_source_since_the_last_run_is_copied_again()
    {
        var source = await SourceWithAsync(("a.md", 2), ("b.md", 2));
        var target = NewStore("target");
        await new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: Ct);
        await source.UpsertDocumentAsync(Document("a.md") with { ContentHash = "edited" }, Chunks("a.md", 4), Ct);

        var result = await new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: Ct);

        Assert.Equal((1, 1, 4, 2), (result.DocumentsCopied, result.DocumentsSkipped, result.ChunksCopied, result.ChunksSkipped));
        Assert.Equal("edited", (await target.GetDocumentAsync("a.md", Ct))!.ContentHash);
        Assert.Equal(4, (await target.ReadChunksAsync("a.md", Ct).ToListAsync(Ct)).Count);
        Assert.True(result.CountsMatch);
    }

    [Fact]
    public async Task Documents_only_the_target_holds_are_kept_and_make_the_counts_differ()
    {
        var source = await SourceWithAsync(("a.md", 2));
        var target = NewStore("target");
        await target.InitializeAsync(Dimensions, Model, Ct);
        await target.UpsertDocumentAsync(Document("other.md"), Chunks("other.md", 3), Ct);

        var result = await new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: Ct);

        Assert.False(result.CountsMatch);
        Assert.Contains("MISMATCH: source holds 1 documents / 2 chunks, target 2 / 5", result.Summary);
        Assert.NotNull(await target.GetDocumentAsync("other.md", Ct));
    }

    [Fact]
    public async Task A_target_built_for_another_model_is_refused_before_anything_is_written()
    {
        var source = await SourceWithAsync(("a.md", 2));
        var target = NewStore("target");
        await target.InitializeAsync(Dimensions, "another-model", Ct);

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => new KnowledgeBaseMigrator(source, target).MigrateAsync(cancellationToken: Ct));

        Assert.Contains("another-model", error.Message);
        Assert.Equal(0, (await target.GetStatisticsAsync(Ct)).Documents);
    }

    [Fact]
    public async Task An_empty_source_migrates_nothing()
    {
        var result = await new KnowledgeBaseMigrator(NewStore("source"), NewStore("target")).MigrateAsync(cancellationToken: Ct);

        Assert.Equal((0, 0), (result.DocumentsCopied, result.ChunksCopied));
        Assert.True(result.CountsMatch);
    }

    [Fact]
    public void A_store_cannot_be_migrated_into_itself()
    {
        var store = NewStore("same");
        Assert.Throws<ArgumentException>(() => new KnowledgeBaseMigrator(store, store));
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<MigrationProgress> report) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => report(value);
    }

    private sealed class ChunkComparer : IEqualityComparer<KnowledgeQa.Retrieval.Chunking.Chunk>
    {
        public static readonly ChunkComparer Instance = new();

        public bool Equals(KnowledgeQa.Retrieval.Chunking.Chunk? x, KnowledgeQa.Retrieval.Chunking.Chunk? y) =>
            x is not null && y is not null && (x with { Headings = [] }) == (y with { Headings = [] }) && x.Headings.SequenceEqual(y.Headings);

        public int GetHashCode(KnowledgeQa.Retrieval.Chunking.Chunk obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}

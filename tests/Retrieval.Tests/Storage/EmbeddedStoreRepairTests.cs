using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>
/// The embedded store's repair, on a real SQLite file damaged the way a tool without foreign keys
/// (the sqlite3 shell's default) damages it: a document row deleted under its chunks and tags, and
/// a chunk deleted from under its document.
/// </summary>
public sealed class EmbeddedStoreRepairTests : IDisposable
{
    private const int Dimensions = 4;
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Repair_removes_orphan_chunks_and_tags_and_marks_documents_missing_chunks_for_rewriting()
    {
        var path = _folder.File("store.db");
        await using var store = await DamagedStoreAsync(path);

        var dry = await store.RepairAsync(new StoreRepairOptions { DryRun = true }, Ct);
        Assert.True(dry.DryRun);
        Assert.Equal((2, 0), Count(dry, "orphan-chunks"));
        Assert.Equal((2, 0), Count(dry, "orphan-tags"));
        Assert.Equal((1, 0), Count(dry, "missing-chunks"));
        Assert.Equal((1, 0), Count(dry, "chunk-total"));
        Assert.Equal(2L, await ScalarAsync(path, "SELECT COUNT(*) FROM chunks WHERE doc_key NOT IN (SELECT doc_key FROM documents)")); // untouched

        var report = await store.RepairAsync(cancellationToken: Ct);
        Assert.Equal((2, 2), Count(report, "orphan-chunks"));
        Assert.Equal((2, 2), Count(report, "orphan-tags"));
        Assert.Equal((1, 1), Count(report, "missing-chunks"));
        Assert.Equal((1, 1), Count(report, "chunk-total"));
        Assert.Equal((0, 0), Count(report, "integrity"));
        Assert.False(report.NeedsAttention);
        Assert.Contains(path, report.Store);

        Assert.Equal(0L, await ScalarAsync(path, "SELECT COUNT(*) FROM chunks WHERE doc_key NOT IN (SELECT doc_key FROM documents)"));
        Assert.Equal(0L, await ScalarAsync(path, "SELECT COUNT(*) FROM document_tags WHERE doc_key NOT IN (SELECT doc_key FROM documents)"));
        var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = Axis(0), Top = 10 }, Ct);
        Assert.DoesNotContain(hits, h => h.Chunk.DocumentId == "deleted");
        // The half-written document lists its real chunk count, and its next ingest writes it again.
        var partial = await store.GetDocumentAsync("partial", Ct);
        Assert.Equal(1, partial!.ChunkCount);
        Assert.Equal(DocumentWriteResult.Replaced, await store.UpsertDocumentAsync(Doc("partial"), TwoChunks("partial"), Ct));
        Assert.Equal(3, (await store.GetStatisticsAsync(Ct)).Chunks); // kept (1) + partial (2)

        var again = await store.RepairAsync(cancellationToken: Ct);
        Assert.Equal(0, again.Found);
    }

    [Fact]
    public async Task Repair_deletes_leftover_and_unreadable_index_files_and_search_still_works()
    {
        var path = _folder.File("store.db");
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        await store.InitializeAsync(Dimensions, "test-model", Ct);
        await store.UpsertDocumentAsync(Doc("kept"), TwoChunks("kept"), Ct);
        var leftover = path + ".search.0123abcd.tmp";
        await File.WriteAllTextAsync(leftover, "an interrupted build", Ct);
        await File.WriteAllTextAsync(path + ".search", "not an index file", Ct);

        var dry = await store.RepairAsync(new StoreRepairOptions { DryRun = true }, Ct);
        Assert.Equal((2, 0), Count(dry, "search-index"));
        Assert.True(File.Exists(leftover));

        var report = await store.RepairAsync(cancellationToken: Ct);
        Assert.Equal((2, 2), Count(report, "search-index"));
        Assert.False(File.Exists(leftover));
        Assert.False(File.Exists(path + ".search")); // a store this small is searched from memory; no file is built again
        Assert.Equal(2, (await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = Axis(0), Top = 5 }, Ct)).Count);
    }

    [Fact]
    public async Task Repair_replaces_an_index_file_of_another_store_with_one_built_from_this_store()
    {
        // Both stores write an index file from their first chunk on.
        var fileEveryTime = new SearchIndexOptions { MinimumFileRows = 1, RebuildMinimumRows = 0, RebuildFraction = 0, RebuildInBackground = false };
        var mine = _folder.File("mine.db");
        var other = _folder.File("other.db");
        foreach (var (path, id) in new[] { (mine, "kept"), (other, "foreign") })
        {
            await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path }, fileEveryTime);
            await store.InitializeAsync(Dimensions, "test-model", Ct);
            await store.UpsertDocumentAsync(Doc(id), TwoChunks(id), Ct);
            Assert.Equal(2, (await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = Axis(0), Top = 5 }, Ct)).Count);
        }
        Assert.True(File.Exists(mine + ".search"));
        File.Copy(other + ".search", mine + ".search", overwrite: true); // say, a restored backup of the wrong store
        var foreign = await File.ReadAllBytesAsync(mine + ".search", Ct);

        await using var repaired = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = mine }, fileEveryTime);
        var report = await repaired.RepairAsync(cancellationToken: Ct);

        Assert.Equal((1, 1), Count(report, "search-index"));
        Assert.True(File.Exists(mine + ".search"));
        Assert.NotEqual(foreign, await File.ReadAllBytesAsync(mine + ".search", Ct)); // built anew from this store
        var hits = await repaired.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = Axis(0), Top = 5 }, Ct);
        Assert.All(hits, h => Assert.Equal("kept", h.Chunk.DocumentId));
        Assert.Equal(2, hits.Count);
    }

    [Fact]
    public async Task A_damaged_file_is_reported_with_what_to_do_and_left_unchanged()
    {
        var path = _folder.File("store.db");
        await using (var store = await DamagedStoreAsync(path))
        {
        }
        // Zero one page of an index: the file still opens, but its b-tree is broken.
        var page = await ScalarAsync(path, "SELECT rootpage FROM sqlite_master WHERE name = 'chunks_by_document'");
        var pageSize = await ScalarAsync(path, "PRAGMA page_size");
        SqliteConnection.ClearAllPools();
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = (page - 1) * pageSize;
            await file.WriteAsync(new byte[pageSize], Ct);
        }
        var before = await File.ReadAllBytesAsync(path, Ct);

        await using var damaged = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        var report = await damaged.RepairAsync(cancellationToken: Ct);

        Assert.True(report.NeedsAttention);
        var integrity = Assert.Single(report.Findings);
        Assert.Equal("integrity", integrity.Check);
        Assert.True(integrity.Found > 0);
        Assert.Contains("restore", integrity.Advice);
        Assert.Contains(path, integrity.Advice);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct)); // nothing deleted from a damaged file
    }

    /// <summary>Three documents, then damage from outside: "deleted" loses its row (2 chunks, 2 tags left), "partial" loses a chunk.</summary>
    private static async Task<EmbeddedKnowledgeStore> DamagedStoreAsync(string path)
    {
        var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        await store.InitializeAsync(Dimensions, "test-model", Ct);
        await store.UpsertDocumentAsync(Doc("kept"), [Indexed("kept", 0, "kept text", Axis(1), 2)], Ct);
        await store.UpsertDocumentAsync(Doc("deleted") with { Tags = ["x", "y"] }, TwoChunks("deleted"), Ct);
        await store.UpsertDocumentAsync(Doc("partial"), TwoChunks("partial"), Ct);
        Assert.Equal(5, (await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = Axis(0), Top = 10 }, Ct)).Count);

        await using var outside = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, ForeignKeys = false, Pooling = false }.ToString());
        await outside.OpenAsync(Ct);
        await using var damage = outside.CreateCommand();
        damage.CommandText = """
            DELETE FROM documents WHERE id = 'deleted';
            DELETE FROM chunks WHERE idx = 1 AND doc_key = (SELECT doc_key FROM documents WHERE id = 'partial');
            """;
        await damage.ExecuteNonQueryAsync(Ct);
        return store;
    }

    private static (int Found, int Repaired) Count(StoreRepairReport report, string check)
    {
        var finding = Assert.Single(report.Findings, f => f.Check == check);
        return (finding.Found, finding.Repaired);
    }

    private static async Task<long> ScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static StoredDocument Doc(string id) => new() { Id = id, Source = id + ".txt", ContentHash = "h-" + id, IngestedAt = DateTimeOffset.UnixEpoch };

    private static IndexedChunk[] TwoChunks(string documentId) =>
        [Indexed(documentId, 0, documentId + " one", Axis(0), 1), Indexed(documentId, 1, documentId + " two", Axis(0, 3), 1)];

    private static IndexedChunk Indexed(string documentId, int index, string text, float[] vector, uint term) => new(
        new Chunk { Id = Chunk.CreateId(documentId, index, text), DocumentId = documentId, Index = index, Text = text, Start = 0, End = text.Length },
        vector,
        new SparseVector([term], [1f]));

    private static float[] Axis(params int[] axes)
    {
        var vector = new float[Dimensions];
        foreach (var axis in axes)
        {
            vector[axis] = 1f / MathF.Sqrt(axes.Length);
        }
        return vector;
    }
}

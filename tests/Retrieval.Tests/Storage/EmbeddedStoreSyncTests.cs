using System.Diagnostics;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>
/// What the SQLite store adds for keeping folders in step: the cache of deleted vectors, the
/// in-place upgrade of version 1 files, and the errors of a full disk and a store another
/// connection holds, on real files.
/// </summary>
public sealed class EmbeddedStoreSyncTests : IDisposable
{
    private const int Dimensions = 4;
    private const string Model = "test-model";
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Vectors_of_deleted_chunks_are_kept_in_a_bounded_cache()
    {
        await using var store = await OpenAsync(new EmbeddedStoreOptions { Path = _folder.File("store.db"), DeletedVectorCacheSize = 2 });
        await store.UpsertDocumentAsync(Doc("a"), [Indexed("a", 0, "one", [1, 0, 0, 0]), Indexed("a", 1, "two", [0, 1, 0, 0]), Indexed("a", 2, "three", [0, 0, 1, 0])], Ct);
        await store.UpsertDocumentAsync(Doc("b"), [Indexed("b", 0, "two", [0, 1, 0, 0])], Ct);

        Assert.True(await store.DeleteDocumentAsync("a", Ct));

        var found = await store.FindVectorsAsync([Hash("one"), Hash("two"), Hash("three")], Ct);
        // "two" is still a live chunk of b; of the two texts that left the store, the cache (size 2) holds both.
        Assert.Equal(new[] { Hash("one"), Hash("three"), Hash("two") }.Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([0f, 0f, 1f, 0f], found[Hash("three")].ToArray());

        // A newer deletion pushes the oldest cached vector out.
        await store.UpsertDocumentAsync(Doc("c"), [Indexed("c", 0, "four", [0, 0, 0, 1])], Ct);
        await store.DeleteDocumentAsync("c", Ct);
        var after = await store.FindVectorsAsync([Hash("one"), Hash("three"), Hash("four")], Ct);
        Assert.Equal(2, after.Count);
        Assert.Contains(Hash("four"), after.Keys);
    }

    [Fact]
    public async Task A_replaced_document_caches_only_the_texts_it_dropped()
    {
        await using var store = await OpenAsync(new EmbeddedStoreOptions { Path = _folder.File("store.db"), DeletedVectorCacheSize = 10 });
        await store.UpsertDocumentAsync(Doc("a", "v1"), [Indexed("a", 0, "kept", [1, 0, 0, 0]), Indexed("a", 1, "dropped", [0, 1, 0, 0])], Ct);
        await store.UpsertDocumentAsync(Doc("a", "v2"), [Indexed("a", 0, "kept", [1, 0, 0, 0]), Indexed("a", 1, "new", [0, 0, 1, 0])], Ct);

        await using var connection = new SqliteConnection($"Data Source={store.Path}");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT text_hash FROM vector_cache";
        Assert.Equal(Hash("dropped"), (string?)await command.ExecuteScalarAsync(Ct));
        Assert.Equal(3, (await store.FindVectorsAsync([Hash("kept"), Hash("dropped"), Hash("new")], Ct)).Count);
    }

    [Fact]
    public async Task With_no_cache_only_stored_chunks_give_vectors()
    {
        await using var store = await OpenAsync(new EmbeddedStoreOptions { Path = _folder.File("store.db"), DeletedVectorCacheSize = 0 });
        await store.UpsertDocumentAsync(Doc("a"), [Indexed("a", 0, "one", [1, 0, 0, 0])], Ct);
        await store.DeleteDocumentAsync("a", Ct);

        Assert.Empty(await store.FindVectorsAsync([Hash("one")], Ct));
    }

    [Fact]
    public async Task A_version_1_file_is_upgraded_in_place_and_keeps_its_documents()
    {
        var path = _folder.File("old.db");
        await CreateVersion1StoreAsync(path);

        await using (var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path }))
        {
            await store.InitializeAsync(Dimensions, Model, Ct);
            var document = (await store.GetDocumentAsync("en/guide.md", Ct))!;
            Assert.Equal("hash-1", document.ContentHash);
            Assert.Equal(["manual"], document.Tags);
            Assert.Null(document.SourceName);
            Assert.Null(document.FileFingerprint);

            // Text hashes were filled from the old chunks: their vectors can be reused at once.
            var found = await store.FindVectorsAsync([Hash("Charge the battery for 4.5 hours.")], Ct);
            Assert.Equal([1f, 0f, 0f, 0f], Assert.Single(found).Value.ToArray());
            var hit = Assert.Single(await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = new float[] { 1, 0, 0, 0 } }, Ct));
            Assert.Equal("en/guide.md", hit.Chunk.DocumentId);

            // Everything version 2 adds works on the upgraded file.
            await store.BindSourceAsync(new SourceBinding("docs", SourceKind.Folder, "/data/docs"), cancellationToken: Ct);
            Assert.Equal(DocumentWriteResult.Added, await store.UpsertDocumentAsync(Doc("docs/new.md") with { SourceName = "docs" }, [Indexed("docs/new.md", 0, "new", [0, 1, 0, 0])], Ct));
        }

        await using var check = new SqliteConnection($"Data Source={path}");
        await check.OpenAsync(Ct);
        await using var version = check.CreateCommand();
        version.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
        Assert.Equal("3", (string?)await version.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task A_version_2_file_gets_the_row_keys_and_still_finds_vectors_and_refuses_taken_chunk_ids()
    {
        var path = _folder.File("v2.db");
        await using (var store = await OpenAsync(new EmbeddedStoreOptions { Path = path }))
        {
            await store.UpsertDocumentAsync(Doc("owner"), [Indexed("owner", 0, "owned text", [1, 0, 0, 0]), Indexed("owner", 1, "more", [0, 1, 0, 0])], Ct);
        }
        SqliteConnection.ClearAllPools();
        // Back to the version 2 layout: no key columns, the text hashes indexed as strings, the chunk ids UNIQUE.
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                DROP INDEX chunks_by_id_key;
                DROP INDEX chunks_by_text_key;
                ALTER TABLE chunks DROP COLUMN id_key;
                ALTER TABLE chunks DROP COLUMN text_key;
                CREATE INDEX chunks_by_text_hash ON chunks(text_hash);
                CREATE UNIQUE INDEX chunks_by_id ON chunks(id);
                UPDATE meta SET value = '2' WHERE key = 'schema_version';
                """;
            await command.ExecuteNonQueryAsync(Ct);
        }

        await using (var upgraded = await OpenAsync(new EmbeddedStoreOptions { Path = path }))
        {
            var found = await upgraded.FindVectorsAsync([Hash("owned text")], Ct);
            Assert.Equal([1f, 0f, 0f, 0f], Assert.Single(found).Value.ToArray());
            var owned = (await ToListAsync(upgraded.ReadChunksAsync("owner", Ct)))[0].Chunk;
            var thief = new IndexedChunk(owned with { DocumentId = "thief" }, new float[] { 0, 0, 1, 0 }, new SparseVector([3], [1f]));
            var refused = await Assert.ThrowsAnyAsync<KnowledgeStoreException>(() => upgraded.UpsertDocumentAsync(Doc("thief"), [thief], Ct));
            Assert.Contains("'owner'", refused.Message);
            Assert.Contains("unique", refused.Message);
            Assert.Null(await upgraded.GetDocumentAsync("thief", Ct));
            // The owner replaces itself with the same chunk ids: its own older chunks never count against it.
            Assert.Equal(DocumentWriteResult.Replaced, await upgraded.UpsertDocumentAsync(Doc("owner", "h2"), [Indexed("owner", 0, "owned text", [1, 0, 0, 0])], Ct));
        }
        Assert.Equal("3", await ScalarAsync(path, "SELECT value FROM meta WHERE key = 'schema_version'"));
        Assert.Equal(0L, await ScalarAsync(path, "SELECT COUNT(*) FROM chunks WHERE id_key = 0 OR text_key = 0"));
        Assert.Equal(0L, await ScalarAsync(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'chunks_by_text_hash'"));
    }

    [Fact]
    public async Task A_new_file_has_16_KB_pages_and_no_unique_index_on_chunk_ids()
    {
        var path = _folder.File("new.db");
        await using (var store = await OpenAsync(new EmbeddedStoreOptions { Path = path }))
        {
            await store.UpsertDocumentAsync(Doc("a"), [Indexed("a", 0, "one", [1, 0, 0, 0])], Ct);
            // Two chunks of one document with one id are refused like an id another document holds.
            var one = Indexed("b", 0, "two", [0, 1, 0, 0]);
            var refused = await Assert.ThrowsAnyAsync<KnowledgeStoreException>(() => store.UpsertDocumentAsync(Doc("b"), [one, one with { Chunk = one.Chunk with { Index = 1 } }], Ct));
            Assert.Contains("'b'", refused.Message);
        }
        Assert.Equal(16384L, await ScalarAsync(path, "PRAGMA page_size"));
        Assert.Equal(0L, await ScalarAsync(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'chunks' AND name LIKE 'sqlite_autoindex%'"));
    }

    private static Task<object?> ScalarAsync(string path, string sql) => SearchIndexTests.ScalarAsync(path, sql);

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return list;
    }

    [Fact]
    public async Task A_store_at_its_size_limit_refuses_the_write_that_does_not_fit_and_keeps_the_others()
    {
        // 64 pages of 16 KB: the empty schema takes about 20 of them.
        await using var store = await OpenAsync(new EmbeddedStoreOptions { Path = _folder.File("small.db"), MaxSizeBytes = 1024 * 1024 });
        var written = new List<string>();
        StoreFullException? full = null;
        var text = new string('x', 4000);
        for (var i = 0; i < 200 && full is null; i++)
        {
            var id = $"doc-{i}";
            try
            {
                await store.UpsertDocumentAsync(Doc(id), [Indexed(id, 0, text + i, [1, 0, 0, 0], (1, 1f)), Indexed(id, 1, i + text, [0, 1, 0, 0], (2, 1f))], Ct);
                written.Add(id);
            }
            catch (StoreFullException e)
            {
                full = e;
            }
        }

        Assert.NotNull(full);
        Assert.NotEmpty(written);
        Assert.Contains(store.Path, full.Message);
        Assert.Contains("size limit", full.Message);
        Assert.Equal(store.Path, full.Location);
        // The refused document left nothing behind; the ones before it are all there and searchable.
        var statistics = await store.GetStatisticsAsync(Ct);
        Assert.Equal((written.Count, written.Count * 2), (statistics.Documents, statistics.Chunks));
        Assert.Null(await store.GetDocumentAsync($"doc-{written.Count}", Ct));
        Assert.Equal(written.Count * 2, (await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = new float[] { 1, 1, 0, 0 }, Top = 1000 }, Ct)).Count);
    }

    [Fact]
    public async Task A_store_another_connection_keeps_locked_fails_with_a_busy_error_after_the_retries()
    {
        var path = _folder.File("busy.db");
        await using var store = await OpenAsync(new EmbeddedStoreOptions { Path = path, BusyTimeout = TimeSpan.FromSeconds(1) });
        await store.UpsertDocumentAsync(Doc("before"), [Indexed("before", 0, "before", [1, 0, 0, 0])], Ct);

        await using (var holder = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await holder.OpenAsync(Ct);
            await using var transaction = holder.BeginTransaction(deferred: false);

            var error = await Assert.ThrowsAsync<StoreBusyException>(() => store.UpsertDocumentAsync(Doc("during"), [Indexed("during", 0, "during", [0, 1, 0, 0])], Ct));
            Assert.Contains(path, error.Message);
            Assert.Contains("locked by another process", error.Message);
            Assert.True(error.RetryAfter > TimeSpan.Zero);
            Assert.IsType<SqliteException>(error.InnerException);

            // Records beside the documents get the same treatment.
            await Assert.ThrowsAsync<StoreBusyException>(() => store.BindSourceAsync(new SourceBinding("docs", SourceKind.Folder, "/d"), cancellationToken: Ct));
        }

        // Once the lock is gone the same write goes through.
        Assert.Equal(DocumentWriteResult.Added, await store.UpsertDocumentAsync(Doc("during"), [Indexed("during", 0, "during", [0, 1, 0, 0])], Ct));
    }

    [Fact]
    public async Task A_lock_released_while_the_write_waits_is_not_an_error()
    {
        var path = _folder.File("brief.db");
        await using var store = await OpenAsync(new EmbeddedStoreOptions { Path = path, BusyTimeout = TimeSpan.FromSeconds(20) });
        var holder = new SqliteConnection($"Data Source={path};Pooling=False");
        await holder.OpenAsync(Ct);
        var transaction = holder.BeginTransaction(deferred: false);

        var write = store.UpsertDocumentAsync(Doc("a"), [Indexed("a", 0, "a", [1, 0, 0, 0])], Ct);
        await Task.Delay(300, Ct);
        Assert.False(write.IsCompleted);
        await transaction.DisposeAsync();
        await holder.DisposeAsync();

        Assert.Equal(DocumentWriteResult.Added, await write);
    }

    [Fact]
    public void The_process_that_has_the_store_open_is_named()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc");
        var path = _folder.File("held.db");
        File.WriteAllText(path, "");
        using var other = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { "-c", "exec 3<\"$0\"; exec sleep 30", path } })!;
        try
        {
            string? described = null;
            // The child opens the file right after it starts.
            for (var i = 0; i < 100 && described is null; i++)
            {
                described = StoreLockHolders.Describe(path);
                if (described is null)
                    Thread.Sleep(50);
            }
            Assert.NotNull(described);
            Assert.Contains($"pid {other.Id}", described);
            Assert.Contains("sleep 30", described);
            Assert.Null(StoreLockHolders.Describe(_folder.File("nobody-has-this.db")));
        }
        finally
        {
            other.Kill();
        }
    }

    // ---- helpers ----

    /// <summary>A store file as version 1 of the schema wrote it: one document with one chunk.</summary>
    private static async Task CreateVersion1StoreAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        var vector = Convert.ToHexString(BlobCodec.EncodeVector(new float[] { 1, 0, 0, 0 }));
        var sparse = Convert.ToHexString(BlobCodec.EncodeSparse(new SparseVector([7], [1f])));
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE documents (
                doc_key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, title TEXT, content_hash TEXT NOT NULL,
                tags TEXT NOT NULL, tenant TEXT, chunk_count INTEGER NOT NULL, ingested_at TEXT NOT NULL);
            CREATE TABLE document_tags (doc_key INTEGER NOT NULL REFERENCES documents(doc_key) ON DELETE CASCADE, tag TEXT NOT NULL,
                PRIMARY KEY (doc_key, tag)) WITHOUT ROWID;
            CREATE TABLE chunks (
                rowid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, doc_key INTEGER NOT NULL REFERENCES documents(doc_key) ON DELETE CASCADE,
                idx INTEGER NOT NULL, text TEXT NOT NULL, start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, headings TEXT NOT NULL,
                page INTEGER, token_count INTEGER NOT NULL, vector BLOB NOT NULL, sparse BLOB NOT NULL);
            CREATE INDEX chunks_by_document ON chunks(doc_key, idx);
            CREATE TABLE postings (term INTEGER NOT NULL, chunk_rowid INTEGER NOT NULL, weight REAL NOT NULL, PRIMARY KEY (term, chunk_rowid)) WITHOUT ROWID;
            INSERT INTO meta (key, value) VALUES ('schema_version', '1'), ('chunk_count', '1'), ('generation', '1'), ('max_weight', '1'), ('min_weight', '1'),
                ('dimensions', '{Dimensions}'), ('embedding_model', '{Model}');
            INSERT INTO documents VALUES (1, 'en/guide.md', '/old/docs/en/guide.md', 'Guide', 'hash-1', '["manual"]', NULL, 1, '2025-01-01T00:00:00.0000000+00:00');
            INSERT INTO document_tags VALUES (1, 'manual');
            INSERT INTO chunks (id, doc_key, idx, text, start_offset, end_offset, headings, page, token_count, vector, sparse)
                VALUES ('{Chunk.CreateId("en/guide.md", 0, "Charge the battery for 4.5 hours.")}', 1, 0, 'Charge the battery for 4.5 hours.', 0, 33, '[]', NULL, 8, X'{vector}', X'{sparse}');
            INSERT INTO postings VALUES (7, 1, 1.0);
            """;
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<EmbeddedKnowledgeStore> OpenAsync(EmbeddedStoreOptions options)
    {
        var store = new EmbeddedKnowledgeStore(options);
        await store.InitializeAsync(Dimensions, Model, Ct);
        return store;
    }

    private static string Hash(string text) => ChunkTextHash.Compute(text);

    private static StoredDocument Doc(string id, string hash = "h") => new()
    {
        Id = id,
        Source = id + ".txt",
        ContentHash = hash,
        IngestedAt = DateTimeOffset.UnixEpoch,
    };

    private static IndexedChunk Indexed(string documentId, int index, string text, float[] vector, params (uint Term, float Weight)[] terms) => new(
        new Chunk { Id = Chunk.CreateId(documentId, index, text), DocumentId = documentId, Index = index, Text = text, Start = 0, End = text.Length },
        vector,
        new SparseVector([.. terms.Select(t => t.Term)], [.. terms.Select(t => t.Weight)]));
}

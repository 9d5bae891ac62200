using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>What only the SQLite store promises: durability in its file, atomic writes, several instances on one file.</summary>
public sealed class EmbeddedKnowledgeStoreTests : IDisposable
{
    private const int Dimensions = 4;
    private const string Model = "test-model";
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_reopened_file_holds_the_same_data()
    {
        var path = _folder.File("nested/deeper/store.db");
        await using (var store = await OpenAsync(path))
        {
            await store.UpsertDocumentAsync(Doc("alpha"), [Indexed("alpha", 0, "first", [1, 0, 0, 0], (1, 1f)), Indexed("alpha", 1, "second", [0, 1, 0, 0], (2, 1f))], Ct);
            await store.UpsertDocumentAsync(Doc("beta"), [Indexed("beta", 0, "third", [0, 0, 1, 0], (3, 1f))], Ct);
            Assert.NotEmpty(await store.SearchAsync(DenseQuery([1, 0, 0, 0]), Ct));
        }

        await using (var reopened = await OpenAsync(path))
        {
            Assert.Equal(new StoreStatistics(2, 3, Dimensions, Model), await reopened.GetStatisticsAsync(Ct));
            Assert.Equal("second", (await reopened.SearchAsync(DenseQuery([0, 1, 0, 0]), Ct))[0].Chunk.Text);
            Assert.Equal("third", (await reopened.SearchAsync(LexicalQuery((3, 1f)), Ct))[0].Chunk.Text);
            Assert.Equal(2, (await ToListAsync(reopened.ReadChunksAsync("alpha", Ct))).Count);
        }

        // Disposing released the file: it can be deleted, and no WAL file was left behind.
        File.Delete(path);
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public async Task A_write_that_fails_midway_leaves_the_previous_version_and_a_rerun_completes()
    {
        var path = _folder.File("store.db");
        await using var store = await OpenAsync(path);
        IndexedChunk[] version1 = [Indexed("doc", 0, "v1 zero", [1, 0, 0, 0], (1, 1f)), Indexed("doc", 1, "v1 one", [0, 1, 0, 0], (1, 1f))];
        IndexedChunk[] version2 =
        [
            Indexed("doc", 0, "v2 zero", [0, 0, 1, 0], (2, 1f)),
            Indexed("doc", 1, "v2 one", [0, 0, 0, 1], (2, 1f)),
            Indexed("doc", 2, "v2 two", [0, 0, 1, 1], (2, 1f)),
        ];
        await store.UpsertDocumentAsync(Doc("doc", hash: "v1"), version1, Ct);
        Assert.NotEmpty(await store.SearchAsync(DenseQuery([1, 0, 0, 0]), Ct)); // load the in-memory index too

        // Fail after two of the three new chunks are written, while the transaction is open;
        // meanwhile a second store instance (another connection) must still read version 1.
        StoredDocument? seenDuringWrite = null;
        await using var observer = await OpenAsync(path);
        store.AfterChunkWritten = written =>
        {
            if (written == 2)
            {
                seenDuringWrite = observer.GetDocumentAsync("doc", Ct).GetAwaiter().GetResult();
                throw new IOException("simulated crash in the middle of a write");
            }
        };
        await Assert.ThrowsAsync<IOException>(() => store.UpsertDocumentAsync(Doc("doc", hash: "v2"), version2, Ct));
        Assert.Equal("v1", seenDuringWrite?.ContentHash);

        await AssertHoldsAsync(store, "v1", version1);
        await using (var afterCrash = await OpenAsync(path))
        {
            await AssertHoldsAsync(afterCrash, "v1", version1);
        }

        store.AfterChunkWritten = null;
        await store.UpsertDocumentAsync(Doc("doc", hash: "v2"), version2, Ct);
        await AssertHoldsAsync(store, "v2", version2);
        await using var reopened = await OpenAsync(path);
        await AssertHoldsAsync(reopened, "v2", version2);
    }

    [Fact]
    public async Task A_batch_document_that_breaks_a_constraint_is_rolled_back_alone()
    {
        await using var store = await OpenAsync(_folder.File("store.db"));
        await store.UpsertDocumentAsync(Doc("owner"), [Indexed("owner", 0, "owned", [1, 0, 0, 0], (1, 1f))], Ct);
        var owned = (await ToListAsync(store.ReadChunksAsync("owner", Ct)))[0].Chunk;
        // The thief's second chunk carries the owner's chunk id: its insert fails after its first chunk went in.
        var thief = new DocumentUpsert(Doc("thief"),
        [
            Indexed("thief", 0, "first", [0, 1, 0, 0], (2, 1f)),
            new IndexedChunk(owned with { DocumentId = "thief", Index = 1 }, new float[] { 0, 0, 1, 0 }, Sparse((3, 1f))),
        ]);

        var results = await store.UpsertDocumentsAsync(
            [new DocumentUpsert(Doc("one"), [Indexed("one", 0, "one", [0, 0, 0, 1], (4, 1f))]), thief, new DocumentUpsert(Doc("two"), [Indexed("two", 0, "two", [0, 1, 1, 0], (5, 1f))])], Ct);

        Assert.Equal([true, false, true], results.Select(r => r.Succeeded));
        Assert.Contains("'thief'", results[1].Error!.Message);
        Assert.Contains("unique", results[1].Error!.Message);
        Assert.Null(await store.GetDocumentAsync("thief", Ct));
        Assert.Equal(new StoreStatistics(3, 3, Dimensions, Model), await store.GetStatisticsAsync(Ct));
        // Nothing of the thief is searchable, not even its first chunk; the others are.
        Assert.Empty(await store.SearchAsync(LexicalQuery((2, 1f)), Ct));
        Assert.Equal("two", (await store.SearchAsync(LexicalQuery((5, 1f)), Ct))[0].Chunk.Text);
        Assert.Equal("owner", (await store.SearchAsync(DenseQuery([1, 0, 0, 0]), Ct))[0].Chunk.DocumentId);
    }

    [Fact]
    public async Task Writes_by_another_instance_on_the_same_file_are_seen_by_dense_search()
    {
        var path = _folder.File("store.db");
        await using var reader = await OpenAsync(path);
        await using var writer = await OpenAsync(path);
        await writer.UpsertDocumentAsync(Doc("alpha"), [Indexed("alpha", 0, "alpha", [1, 0, 0, 0])], Ct);
        Assert.Equal("alpha", (await reader.SearchAsync(DenseQuery([0, 1, 0, 0]), Ct))[0].Chunk.Text);

        await writer.UpsertDocumentAsync(Doc("beta"), [Indexed("beta", 0, "beta", [0, 1, 0, 0])], Ct);
        Assert.Equal("beta", (await reader.SearchAsync(DenseQuery([0, 1, 0, 0]), Ct))[0].Chunk.Text);

        await writer.DeleteDocumentAsync("beta", Ct);
        Assert.Equal(["alpha"], (await reader.SearchAsync(DenseQuery([0, 1, 0, 0]), Ct)).Select(h => h.Chunk.Text));
    }

    [Fact]
    public async Task Lexical_scores_are_bm25_with_the_store_idf()
    {
        await using var store = await OpenAsync(_folder.File("store.db"));
        await store.UpsertDocumentAsync(Doc("d"),
        [
            Indexed("d", 0, "rare and common", [1, 0, 0, 0], (10, 0.8f), (20, 1.1f)),
            Indexed("d", 1, "common", [0, 1, 0, 0], (20, 1.3f)),
            Indexed("d", 2, "neither", [0, 0, 1, 0], (30, 1f)),
        ], Ct);

        var hits = await store.SearchAsync(LexicalQuery((10, 2f), (20, 1f)), Ct);

        static double Idf(double n, double df) => Math.Log(1 + (n - df + 0.5) / (df + 0.5));
        Assert.Equal(["rare and common", "common"], hits.Select(h => h.Chunk.Text));
        Assert.Equal(2 * Idf(3, 1) * 0.8 + Idf(3, 2) * 1.1, hits[0].Score, 5);
        Assert.Equal(Idf(3, 2) * 1.3, hits[1].Score, 5);
    }

    [Fact]
    public async Task Lexical_top_hits_equal_a_full_bm25_computation()
    {
        // Zipf-distributed terms give a few very common terms, where the search stops reading
        // postings early; the result must still be the exact top k.
        await using var store = await OpenAsync(_folder.File("store.db"));
        var random = new Random(11);
        uint ZipfTerm() => (uint)Math.Min(200, (int)(1 / (random.NextDouble() + 0.005)));
        var chunks = new List<IndexedChunk>();
        for (var d = 0; d < 20; d++)
        {
            var id = $"doc{d}";
            var documentChunks = Enumerable.Range(0, 15).Select(i =>
            {
                var terms = Enumerable.Range(0, 12).Select(_ => ZipfTerm()).Distinct().Select(t => (t, (float)(0.2 + random.NextDouble() * 2))).ToArray();
                return Indexed(id, i, $"{id}-{i}", [1, 0, 0, 0], terms);
            }).ToArray();
            await store.UpsertDocumentAsync(Doc(id) with { Tags = [d % 3 == 0 ? "third" : "rest"] }, documentChunks, Ct);
            chunks.AddRange(documentChunks);
        }
        var documentFrequency = chunks.SelectMany(c => c.Sparse.Indices).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());

        for (var q = 0; q < 40; q++)
        {
            var query = Sparse([.. Enumerable.Range(0, 1 + q % 5).Select(_ => ZipfTerm()).Distinct().Select(t => (t, 1f + q % 2))]);
            var thirdsOnly = q % 4 == 0;
            var expected = chunks
                .Where(c => !thirdsOnly || int.Parse(c.Chunk.DocumentId[3..]) % 3 == 0)
                .Select(c => (c.Chunk.Id, Score: Enumerable.Range(0, query.Count).Sum(i =>
                {
                    var at = Array.IndexOf(c.Sparse.Indices, query.Indices[i]);
                    var df = documentFrequency.GetValueOrDefault(query.Indices[i]);
                    return at < 0 ? 0 : query.Values[i] * Math.Log(1 + (chunks.Count - df + 0.5) / (df + 0.5)) * c.Sparse.Values[at];
                })))
                .Where(x => x.Score > 0)
                .OrderByDescending(x => x.Score)
                .Take(5)
                .ToList();

            var filter = thirdsOnly ? new SearchFilter { Tags = ["third"] } : SearchFilter.None;
            var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = query, Top = 5, Filter = filter }, Ct);

            Assert.Equal(expected.Select(x => x.Score), hits.Select(h => h.Score), (a, b) => Math.Abs(a - b) < 1e-4);
            Assert.Equal(expected.Select(x => x.Id), hits.Select(h => h.Chunk.Id));
        }
    }

    [Fact]
    public async Task Searches_running_during_writes_see_whole_documents()
    {
        await using var store = await OpenAsync(_folder.File("store.db"));
        var random = new Random(7);
        float[] RandomVector() => [.. Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble() - 0.5f)];
        await store.UpsertDocumentAsync(Doc("seed"), [Indexed("seed", 0, "seed", [1, 0, 0, 0], (1, 1f))], Ct);

        var writing = Task.Run(async () =>
        {
            for (var round = 0; round < 30; round++)
            {
                var id = $"doc{round % 5}";
                var chunks = Enumerable.Range(0, 1 + round % 4).Select(i => Indexed(id, i, $"{id} round {round} part {i}", RandomVector(), (1, 1f), (2, 0.5f))).ToArray();
                await store.UpsertDocumentAsync(Doc(id), chunks, Ct);
                if (round % 7 == 6)
                {
                    await store.DeleteDocumentAsync(id, Ct);
                }
            }
        }, Ct);
        var searching = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var queryVector = new float[] { 0.5f, 0.5f, 0.5f, 0.5f };
            while (!writing.IsCompleted)
            {
                foreach (var mode in Enum.GetValues<SearchMode>())
                {
                    var hits = await store.SearchAsync(new StoreQuery { Mode = mode, Vector = queryVector, Sparse = Sparse((1, 1f)), Top = 20 }, Ct);
                    Assert.Equal(hits.Count, hits.Select(h => h.Chunk.Id).Distinct().Count());
                }
            }
        }, Ct)).ToArray();
        await Task.WhenAll([writing, .. searching]);

        // The final state agrees between the file and the in-memory index.
        var documents = await ToListAsync(store.ListDocumentsAsync(Ct));
        var expectedChunks = documents.Sum(d => d.ChunkCount);
        Assert.Equal(expectedChunks, (await store.GetStatisticsAsync(Ct)).Chunks);
        var dense = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = new float[] { 1, 1, 1, 1 }, Top = 1000 }, Ct);
        Assert.Equal(expectedChunks, dense.Count);
    }

    [Fact]
    public async Task A_file_that_is_not_a_store_is_reported_with_its_path()
    {
        var path = _folder.File("notes.db");
        await File.WriteAllTextAsync(path, "These are my notes, not a database. They need to be long enough to look like a header.", Ct);
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, Model, Ct));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task A_store_from_a_newer_version_is_refused()
    {
        var path = _folder.File("store.db");
        await using (var store = await OpenAsync(path))
        {
        }
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE meta SET value = '99' WHERE key = 'schema_version'";
            await command.ExecuteNonQueryAsync(Ct);
        }

        await using var newer = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => newer.GetStatisticsAsync(Ct));
        Assert.Contains("99", error.Message);
    }

    [Fact]
    public async Task Writing_before_initialising_is_an_error()
    {
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _folder.File("store.db") });
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.UpsertDocumentAsync(Doc("a"), [Indexed("a", 0, "a", [1, 0, 0, 0])], Ct));
    }

    [Fact]
    public async Task Chinese_passages_are_found_by_two_character_words()
    {
        var encoder = new Bm25SparseEncoder();
        await using var store = await OpenAsync(_folder.File("store.db"));
        string[] passages =
        [
            "忘記密碼時，請點選登入頁面的「重設」連結，系統會寄送驗證信。",
            "忘记密码时，请点击登录页面的“重置”链接，系统会发送验证邮件。",
            "會員可以在個人頁面修改暱稱與大頭貼。",
            "The password can be reset from the sign-in page.",
        ];
        for (var i = 0; i < passages.Length; i++)
        {
            var id = $"p{i}";
            var chunk = new Chunk { Id = Chunk.CreateId(id, 0, passages[i]), DocumentId = id, Index = 0, Text = passages[i], Start = 0, End = passages[i].Length };
            await store.UpsertDocumentAsync(Doc(id), [new IndexedChunk(chunk, new float[Dimensions], encoder.EncodeDocument(passages[i]))], Ct);
        }

        async Task<string> TopAsync(string question) =>
            (await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = encoder.EncodeQuery(question) }, Ct))[0].Chunk.DocumentId;
        async Task<string[]> TopTwoAsync(string question) =>
            (await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Top = 2, Sparse = encoder.EncodeQuery(question) }, Ct))
                .Select(h => h.Chunk.DocumentId).Order().ToArray();

        // Either script finds the passages in both scripts (traditional is folded to simplified).
        Assert.Equal(["p0", "p1"], await TopTwoAsync("密碼"));
        Assert.Equal(["p0", "p1"], await TopTwoAsync("密码"));
        Assert.Equal("p0", await TopAsync("如何重設密碼？"));
        Assert.Equal("p1", await TopAsync("怎么重置密码"));
        Assert.Equal("p2", await TopAsync("修改暱稱"));
        Assert.Equal("p3", await TopAsync("reset passwords"));
    }

    [Fact]
    public async Task Chunk_rows_hold_exactly_what_was_written_however_large()
    {
        // The chunk insert binds from reused buffers (ChunkInserter): a text or weights larger than
        // the buffers, non-ASCII text and a lone surrogate (stored as U+FFFD, as the command binding
        // stored it) must all come back as written, next to small rows written before and after.
        var path = _folder.File("store.db");
        await using var store = await OpenAsync(path);
        var large = string.Concat(Enumerable.Repeat("密碼重設 🔑 ", 4_000));
        var manyTerms = Enumerable.Range(1, 600).Select(t => ((uint)t * 7, t / 100f)).ToArray();
        var last = Indexed("doc", 3, "after", [0, 0, 0, 1], (3, 1f));
        IndexedChunk[] chunks =
        [
            Indexed("doc", 0, "small", [1, 0, 0, 0], (1, 1f)),
            Indexed("doc", 1, large, [0, 1, 0, 0], manyTerms),
            Indexed("doc", 2, "lone \ud800 surrogate", [0, 0, 1, 0], (2, 1f)),
            last with { Chunk = last.Chunk with { Headings = ["Über", "设置"], Page = 7, TokenCount = 3 } },
        ];
        await store.UpsertDocumentAsync(Doc("doc"), chunks, Ct);

        var stored = await ToListAsync(store.ReadChunksAsync("doc", Ct));
        Assert.Equal(["small", large, "lone \ufffd surrogate", "after"], stored.Select(c => c.Chunk.Text));
        Assert.Equal(["Über", "设置"], stored[3].Chunk.Headings);
        Assert.Equal(7, stored[3].Chunk.Page);
        Assert.Null(stored[0].Chunk.Page);
        Assert.Equal(manyTerms.Select(t => t.Item1), stored[1].Sparse.Indices);
        Assert.Equal(manyTerms.Select(t => t.Item2), stored[1].Sparse.Values);
        for (var i = 0; i < chunks.Length; i++)
        {
            Assert.Equal(chunks[i].Chunk.Id, stored[i].Chunk.Id);
            Assert.Equal(chunks[i].Vector.ToArray(), stored[i].Vector.ToArray());
            // Each row's own vector finds it: the rowids the writer handed the index are the rows'.
            Assert.Equal(chunks[i].Chunk.Id, (await store.SearchAsync(DenseQuery(chunks[i].Vector.ToArray()), Ct))[0].Chunk.Id);
        }

        // The keys are the ones the schema defines (text hash of the text as given, SHA-256 keys of the strings).
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, text_hash, id_key, text_key FROM chunks ORDER BY idx";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        for (var i = 0; i < chunks.Length; i++)
        {
            Assert.True(await reader.ReadAsync(Ct));
            var hash = ChunkTextHash.Compute(chunks[i].Chunk.Text);
            Assert.Equal(hash, reader.GetString(1));
            Assert.Equal(Sha256Key(chunks[i].Chunk.Id), reader.GetInt64(2));
            Assert.Equal(Sha256Key(hash), reader.GetInt64(3));
        }
        // Keys of files written before must not change: the first 8 bytes of the string's SHA-256, for short and long strings.
        foreach (var value in new[] { "", "doc#0", "密碼 🔑", large })
        {
            Assert.Equal(Sha256Key(value), RowKeys.Of(value));
        }
    }

    private static long Sha256Key(string value) =>
        System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)));

    // ---- helpers ----

    private static async Task<EmbeddedKnowledgeStore> OpenAsync(string path)
    {
        var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        await store.InitializeAsync(Dimensions, Model, Ct);
        return store;
    }

    private static async Task AssertHoldsAsync(IKnowledgeStore store, string hash, IndexedChunk[] chunks)
    {
        Assert.Equal(hash, (await store.GetDocumentAsync("doc", Ct))?.ContentHash);
        var ids = chunks.Select(c => c.Chunk.Id).ToArray();
        Assert.Equal(ids, (await ToListAsync(store.ReadChunksAsync("doc", Ct))).Select(c => c.Chunk.Id));
        Assert.Equal(chunks.Length, (await store.GetStatisticsAsync(Ct)).Chunks);
        var dense = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = new float[] { 1, 1, 1, 1 }, Top = 10 }, Ct);
        Assert.Equal(ids.Order(), dense.Select(h => h.Chunk.Id).Order());
        var lexical = await store.SearchAsync(LexicalQuery((1, 1f), (2, 1f)) with { Top = 10 }, Ct);
        Assert.Equal(ids.Order(), lexical.Select(h => h.Chunk.Id).Order());
    }

    private static StoredDocument Doc(string id, string hash = "h") => new()
    {
        Id = id,
        Source = id + ".txt",
        ContentHash = hash,
        IngestedAt = DateTimeOffset.UnixEpoch,
    };

    private static IndexedChunk Indexed(string documentId, int index, string text, float[] vector, params (uint, float)[] terms) => new(
        new Chunk { Id = Chunk.CreateId(documentId, index, text), DocumentId = documentId, Index = index, Text = text, Start = 0, End = text.Length },
        vector,
        Sparse(terms));

    private static SparseVector Sparse(params (uint Term, float Weight)[] terms)
    {
        var sorted = terms.OrderBy(t => t.Term).ToArray();
        return new SparseVector([.. sorted.Select(t => t.Term)], [.. sorted.Select(t => t.Weight)]);
    }

    private static StoreQuery DenseQuery(float[] vector) => new() { Mode = SearchMode.Dense, Vector = vector };

    private static StoreQuery LexicalQuery(params (uint, float)[] terms) => new() { Mode = SearchMode.Lexical, Sparse = Sparse(terms) };

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return list;
    }
}

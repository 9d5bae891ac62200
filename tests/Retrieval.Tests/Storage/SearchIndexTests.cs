using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>
/// The embedded store's index file on a store big enough to have one (with the size limits
/// lowered): answers checked against exact dense and exhaustive BM25 computations on the same
/// chunks, through reopening, writes by another instance, deletions, filters and damaged files.
/// </summary>
public sealed class SearchIndexTests : IDisposable
{
    private const int Dimensions = 32;
    private const int Documents = 100;
    private const int ChunksPerDocument = 30;
    private const string Model = "clustered-32";

    private static readonly SearchIndexOptions SmallIndex = new()
    {
        MinimumFileRows = 1_000,
        RebuildMinimumRows = 500,
        RebuildFraction = 0.05,
        MinimumRowsToScan = 300,
        FractionToScan = 0.1,
        RebuildInBackground = false,
    };

    private readonly TempFolder _folder = new();
    private readonly Corpus _corpus = new(seed: 5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(false, 8)]
    [InlineData(true, 8)]
    [InlineData(false, 1)] // no 4-bit first pass: the lists' int8 codes are scanned
    [InlineData(true, 1)]
    public async Task Dense_search_over_the_index_file_finds_what_an_exact_scan_finds(bool splitAcrossCores, int shortlistFactor)
    {
        var path = _folder.File("store.db");
        // Split: every scan (300 rows and more) is shared among the cores, each keeping its own best rows.
        await using var store = await OpenAsync(path, new SearchIndexOptions
        {
            MinimumFileRows = SmallIndex.MinimumFileRows,
            RebuildMinimumRows = SmallIndex.RebuildMinimumRows,
            RebuildFraction = SmallIndex.RebuildFraction,
            MinimumRowsToScan = SmallIndex.MinimumRowsToScan,
            FractionToScan = SmallIndex.FractionToScan,
            RebuildInBackground = false,
            ParallelScanRows = splitAcrossCores ? SmallIndex.MinimumRowsToScan : int.MaxValue,
            ShortlistFactor = shortlistFactor,
        });
        await _corpus.WriteAllAsync(store);
        var queries = Enumerable.Range(0, 40).Select(_ => _corpus.QueryVector()).ToList();

        var found = 0;
        foreach (var query in queries)
        {
            var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = query, Top = 10 }, Ct);
            var exact = _corpus.ExactDense(query, 10, _ => true);
            found += hits.Count(h => exact.Any(e => e.Id == h.Chunk.Id));
            // Whatever is returned carries its exact cosine, best first.
            foreach (var hit in hits)
            {
                Assert.True(Math.Abs(_corpus.Cosine(hit.Chunk.Id, query) - hit.Score) < 1e-5, $"{hit.Score} is not the cosine");
            }
            Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        }

        Assert.True(File.Exists(store.SearchIndex.IndexPath));
        Assert.Equal(1, store.SearchIndex.Statistics.FilesBuilt);
        Assert.True(found >= 0.95 * queries.Count * 10, $"recall@10 {found / (queries.Count * 10.0):F3}");
    }

    [Fact]
    public async Task Lexical_search_over_the_index_file_equals_exhaustive_bm25()
    {
        await using var store = await FilledStoreAsync(_folder.File("store.db"));
        for (var q = 0; q < 60; q++)
        {
            var query = _corpus.QueryTerms(1 + q % 6);
            var top = q % 3 == 0 ? 50 : 10;
            var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = query, Top = top }, Ct);
            var expected = _corpus.ExhaustiveBm25(query, top, _ => true);

            Assert.Equal(expected.Select(e => e.Id), hits.Select(h => h.Chunk.Id));
            Assert.Equal(expected.Select(e => e.Score), hits.Select(h => h.Score));
        }
        Assert.Equal(1, store.SearchIndex.Statistics.FilesBuilt);
    }

    [Theory]
    [InlineData("rare tag")]
    [InlineData("tenant")]
    [InlineData("documents")]
    [InlineData("half")]
    public async Task Filters_return_only_allowed_chunks_and_the_best_of_them(string kind)
    {
        await using var store = await FilledStoreAsync(_folder.File("store.db"));
        var (filter, allowed) = kind switch
        {
            // 1% of the chunks each.
            "rare tag" => (new SearchFilter { Tags = ["rare"] }, (Func<int, bool>)(d => d % 100 == 7)),
            "tenant" => (new SearchFilter { Tenant = "tenant-3" }, d => d % 100 == 3),
            "documents" => (new SearchFilter { DocumentIds = [Corpus.DocumentId(11), Corpus.DocumentId(12)] }, d => d is 11 or 12),
            _ => (new SearchFilter { Tags = ["even"] }, d => d % 2 == 0),
        };
        var recalled = 0;
        for (var q = 0; q < 20; q++)
        {
            var vector = _corpus.QueryVector();
            var dense = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = vector, Top = 10, Filter = filter }, Ct);
            var exact = _corpus.ExactDense(vector, 10, allowed);
            Assert.All(dense, h => Assert.True(allowed(Corpus.DocumentNumber(h.Chunk.DocumentId))));
            Assert.Equal(exact.Count, dense.Count);
            recalled += dense.Count(h => exact.Any(e => e.Id == h.Chunk.Id));

            var terms = _corpus.QueryTerms(3);
            var lexical = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10, Filter = filter }, Ct);
            Assert.Equal(_corpus.ExhaustiveBm25(terms, 10, allowed).Select(e => e.Id), lexical.Select(h => h.Chunk.Id));

            var hybrid = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Hybrid, Vector = vector, Sparse = terms, Top = 10, Filter = filter }, Ct);
            Assert.All(hybrid, h => Assert.True(allowed(Corpus.DocumentNumber(h.Chunk.DocumentId))));
        }
        // A filter this selective is answered by scanning exactly its rows.
        if (kind != "half")
        {
            Assert.Equal(20 * 10, recalled);
        }
        else
        {
            Assert.True(recalled >= 0.95 * 20 * 10, $"recall@10 {recalled / 200.0:F3}");
        }
    }

    [Fact]
    public async Task A_reopened_store_uses_the_index_file_it_built()
    {
        var path = _folder.File("store.db");
        var query = _corpus.QueryVector();
        var terms = _corpus.QueryTerms(4);
        IReadOnlyList<SearchHit> before;
        await using (var store = await FilledStoreAsync(path))
        {
            before = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Hybrid, Vector = query, Sparse = terms, Top = 10 }, Ct);
        }

        await using var reopened = await OpenAsync(path);
        var after = await reopened.SearchAsync(new StoreQuery { Mode = SearchMode.Hybrid, Vector = query, Sparse = terms, Top = 10 }, Ct);

        Assert.Equal(before.Select(h => (h.Chunk.Id, h.Score, h.DenseScore, h.LexicalScore)), after.Select(h => (h.Chunk.Id, h.Score, h.DenseScore, h.LexicalScore)));
        Assert.Equal(0, reopened.SearchIndex.Statistics.FilesBuilt);
        Assert.Equal(1, reopened.SearchIndex.Statistics.FilesOpened);
        Assert.Equal(0, reopened.SearchIndex.Statistics.FullLoads);
    }

    [Fact]
    public async Task Writes_by_another_instance_are_caught_up_without_reloading()
    {
        var path = _folder.File("store.db");
        await using var reader = await FilledStoreAsync(path);
        await reader.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = _corpus.QueryTerms(2) }, Ct);
        var statistics = reader.SearchIndex.Statistics;
        var (built, opened, loads) = (statistics.FilesBuilt, statistics.FilesOpened, statistics.FullLoads);

        await using (var writer = await OpenAsync(path))
        {
            // A new document, a deleted one and a replaced one.
            await _corpus.WriteDocumentAsync(writer, Documents);
            Assert.True(await writer.DeleteDocumentAsync(Corpus.DocumentId(4), Ct));
            _corpus.Forget(4);
            await _corpus.WriteDocumentAsync(writer, 5, variant: 1);
        }

        for (var q = 0; q < 20; q++)
        {
            var vector = _corpus.QueryVector();
            var terms = _corpus.QueryTerms(3);
            var lexical = await reader.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);
            var expected = _corpus.ExhaustiveBm25(terms, 10, _ => true);
            Assert.Equal(expected.Select(e => (e.Id, e.Score)), lexical.Select(h => (h.Chunk.Id, h.Score)));
            var dense = await reader.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = vector, Top = 10 }, Ct);
            Assert.All(dense, h => Assert.True(_corpus.Holds(h.Chunk.Id)));
        }
        var newDocument = await reader.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = _corpus.VectorOf(Documents, 0), Top = 1 }, Ct);
        Assert.Equal(Corpus.DocumentId(Documents), newDocument[0].Chunk.DocumentId);

        // Caught up from the log: only the two written documents' chunks were read, nothing reloaded.
        Assert.Equal((built, opened, loads), (statistics.FilesBuilt, statistics.FilesOpened, statistics.FullLoads));
        Assert.True(statistics.CatchUps >= 1);
        Assert.Equal(2 * ChunksPerDocument, statistics.ChunksCaughtUp);
        Assert.Equal(2 * ChunksPerDocument, statistics.ChangesCaughtUp);
    }

    [Fact]
    public async Task Enough_changes_rebuild_the_file_and_results_stay_exact()
    {
        var path = _folder.File("store.db");
        await using var store = await FilledStoreAsync(path);
        await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = _corpus.QueryTerms(2) }, Ct);
        var fileBefore = File.GetLastWriteTimeUtc(store.SearchIndex.IndexPath);

        // More than the rebuild threshold (500 chunks) deleted and replaced.
        for (var d = 0; d < 12; d++)
        {
            await store.DeleteDocumentAsync(Corpus.DocumentId(d), Ct);
            _corpus.Forget(d);
        }
        for (var d = 20; d < 30; d++)
        {
            await _corpus.WriteDocumentAsync(store, d, variant: 2);
        }
        var terms = _corpus.QueryTerms(3);
        await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms }, Ct);
        Assert.Equal(2, store.SearchIndex.Statistics.FilesBuilt);
        Assert.NotEqual(fileBefore, File.GetLastWriteTimeUtc(store.SearchIndex.IndexPath));

        for (var q = 0; q < 20; q++)
        {
            terms = _corpus.QueryTerms(1 + q % 4);
            var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);
            Assert.Equal(_corpus.ExhaustiveBm25(terms, 10, _ => true).Select(e => (e.Id, e.Score)), hits.Select(h => (h.Chunk.Id, h.Score)));
        }
        var dense = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = _corpus.QueryVector(), Top = 1000 }, Ct);
        Assert.All(dense, h => Assert.True(_corpus.Holds(h.Chunk.Id)));
        Assert.Equal((await store.GetStatisticsAsync(Ct)).Chunks, _corpus.Count);
        // The file now mirrors the new state, so the log it covers was pruned.
        Assert.Equal(0, await CountAsync(path, "SELECT COUNT(*) FROM search_index_changes"));
    }

    [Fact]
    public async Task An_index_file_of_another_store_is_replaced()
    {
        var first = _folder.File("first.db");
        await using (var store = await FilledStoreAsync(first))
        {
            await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = _corpus.QueryTerms(2) }, Ct);
        }
        // The store file is deleted and built again: the index file beside it is stale.
        File.Delete(first);
        var other = new Corpus(seed: 9);
        await using var rebuilt = await OpenAsync(first);
        await other.WriteAllAsync(rebuilt);
        var terms = other.QueryTerms(3);
        var hits = await rebuilt.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);

        Assert.Equal(other.ExhaustiveBm25(terms, 10, _ => true).Select(e => e.Id), hits.Select(h => h.Chunk.Id));
        Assert.Equal(1, rebuilt.SearchIndex.Statistics.FilesBuilt);
        Assert.Equal(0, rebuilt.SearchIndex.Statistics.FilesOpened);
    }

    [Fact]
    public async Task An_index_file_of_an_older_format_is_rebuilt_not_read()
    {
        var path = _folder.File("store.db");
        await using (var store = await FilledStoreAsync(path))
        {
            await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = _corpus.QueryTerms(2) }, Ct);
        }
        // Format version 1 had no 4-bit codes: a file that says so must not be mapped with today's layout.
        await using (var file = new FileStream(path + ".search", FileMode.Open))
        {
            file.Position = 8;
            file.Write(BitConverter.GetBytes(IndexFileHeader.FormatVersion - 1));
        }

        await using var reopened = await OpenAsync(path);
        var query = _corpus.QueryVector();
        var hits = await reopened.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = query, Top = 10 }, Ct);

        Assert.Equal(10, hits.Count);
        Assert.All(hits, hit => Assert.True(Math.Abs(_corpus.Cosine(hit.Chunk.Id, query) - hit.Score) < 1e-5));
        Assert.Equal(1, reopened.SearchIndex.Statistics.FilesBuilt);
        Assert.Equal(0, reopened.SearchIndex.Statistics.FilesOpened);
    }

    [Fact]
    public async Task A_damaged_index_file_is_rebuilt()
    {
        var path = _folder.File("store.db");
        await using (var store = await FilledStoreAsync(path))
        {
            await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = _corpus.QueryTerms(2) }, Ct);
            Assert.True(File.Exists(store.SearchIndex.IndexPath));
        }
        await using (var file = new FileStream(path + ".search", FileMode.Open))
        {
            file.SetLength(file.Length / 2);
        }

        await using var reopened = await OpenAsync(path);
        var terms = _corpus.QueryTerms(3);
        var hits = await reopened.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);

        Assert.Equal(_corpus.ExhaustiveBm25(terms, 10, _ => true).Select(e => e.Id), hits.Select(h => h.Chunk.Id));
        Assert.Equal(1, reopened.SearchIndex.Statistics.FilesBuilt);
    }

    [Fact]
    public async Task Changes_made_behind_the_logs_back_are_noticed()
    {
        var path = _folder.File("store.db");
        await using var store = await FilledStoreAsync(path);
        await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = _corpus.QueryTerms(2) }, Ct);

        // A tool that drops the triggers and deletes chunks (keeping the store's own count right).
        await ExecuteAsync(path, """
            DROP TRIGGER search_index_chunk_deleted;
            DELETE FROM chunks WHERE doc_key IN (SELECT doc_key FROM documents WHERE id = 'doc0003');
            DELETE FROM documents WHERE id = 'doc0003';
            UPDATE meta SET value = CAST(value AS INTEGER) - 30 WHERE key = 'chunk_count';
            UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
            """);
        _corpus.Forget(3);

        var terms = _corpus.QueryTerms(3);
        var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);
        Assert.Equal(_corpus.ExhaustiveBm25(terms, 10, _ => true).Select(e => (e.Id, e.Score)), hits.Select(h => (h.Chunk.Id, h.Score)));
        Assert.Equal(1, store.SearchIndex.Statistics.Inconsistencies);
        Assert.Equal(2, store.SearchIndex.Statistics.FilesBuilt);
    }

    [Fact]
    public async Task A_store_upgraded_from_schema_version_1_is_indexed_and_caught_up_after_writes()
    {
        var path = _folder.File("store.db");
        await using (var writer = await FilledStoreAsync(path))
        {
            // Written, never searched: no change log, no index file, as a version 1 file is.
        }
        // Back to the version 1 layout, with the postings rows version 1 wrote.
        await ExecuteAsync(path, """
            DROP TRIGGER search_index_chunk_deleted;
            DROP TRIGGER search_index_chunk_changed;
            DROP TABLE search_index_changes;
            DROP TABLE search_index_state;
            DROP INDEX chunks_by_id_key;
            DROP INDEX chunks_by_text_key;
            DROP INDEX documents_by_source;
            ALTER TABLE chunks DROP COLUMN id_key;
            ALTER TABLE chunks DROP COLUMN text_key;
            ALTER TABLE chunks DROP COLUMN text_hash;
            ALTER TABLE documents DROP COLUMN source_name;
            ALTER TABLE documents DROP COLUMN file_fingerprint;
            DROP TABLE sources;
            DROP TABLE ingest_failures;
            DROP TABLE vector_cache;
            INSERT INTO postings VALUES (1, 1, 1.0), (2, 1, 0.5);
            UPDATE meta SET value = '1' WHERE key = 'schema_version';
            """);
        Assert.False(File.Exists(path + ".search"));

        await using var reader = await OpenAsync(path);
        for (var q = 0; q < 10; q++)
        {
            var terms = _corpus.QueryTerms(1 + q % 4);
            var hits = await reader.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);
            Assert.Equal(_corpus.ExhaustiveBm25(terms, 10, _ => true).Select(e => (e.Id, e.Score)), hits.Select(h => (h.Chunk.Id, h.Score)));
        }
        Assert.Equal("3", (string?)await ScalarAsync(path, "SELECT value FROM meta WHERE key = 'schema_version'"));
        Assert.Equal(1, reader.SearchIndex.Statistics.FilesBuilt);
        // The postings the search index replaced are emptied, not left as dead weight in the file.
        Assert.Equal(0, await CountAsync(path, "SELECT COUNT(*) FROM postings"));
        var statistics = reader.SearchIndex.Statistics;
        var (built, loads) = (statistics.FilesBuilt, statistics.FullLoads);

        // The upgraded file's writes reach the index through the change log like any other.
        await using (var writer = await OpenAsync(path))
        {
            await _corpus.WriteDocumentAsync(writer, Documents);
            Assert.True(await writer.DeleteDocumentAsync(Corpus.DocumentId(8), Ct));
            _corpus.Forget(8);
        }
        for (var q = 0; q < 10; q++)
        {
            var terms = _corpus.QueryTerms(3);
            var hits = await reader.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);
            Assert.Equal(_corpus.ExhaustiveBm25(terms, 10, _ => true).Select(e => (e.Id, e.Score)), hits.Select(h => (h.Chunk.Id, h.Score)));
        }
        var newDocument = await reader.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = _corpus.VectorOf(Documents, 0), Top = 1 }, Ct);
        Assert.Equal(Corpus.DocumentId(Documents), newDocument[0].Chunk.DocumentId);
        Assert.Equal((built, loads), (statistics.FilesBuilt, statistics.FullLoads));
        Assert.Equal(ChunksPerDocument, statistics.ChunksCaughtUp);
        Assert.Equal(ChunksPerDocument, statistics.ChangesCaughtUp);
    }

    [Fact]
    public async Task A_store_below_the_file_size_writes_no_index_file()
    {
        var path = _folder.File("store.db");
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        await store.InitializeAsync(Dimensions, Model, Ct);
        for (var d = 0; d < 3; d++)
        {
            await _corpus.WriteDocumentAsync(store, d);
        }
        var terms = _corpus.QueryTerms(2);
        var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = terms, Top = 10 }, Ct);

        Assert.Equal(_corpus.ExhaustiveBm25(terms, 10, _ => true).Select(e => (e.Id, e.Score)), hits.Select(h => (h.Chunk.Id, h.Score)));
        Assert.False(File.Exists(path + ".search"));
        Assert.Equal(1, store.SearchIndex.Statistics.FullLoads);
    }

    // ---- helpers ----

    private async Task<EmbeddedKnowledgeStore> FilledStoreAsync(string path)
    {
        var store = await OpenAsync(path);
        await _corpus.WriteAllAsync(store);
        return store;
    }

    private static async Task<EmbeddedKnowledgeStore> OpenAsync(string path, SearchIndexOptions? options = null)
    {
        var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path }, options ?? SmallIndex);
        await store.InitializeAsync(Dimensions, Model, Ct);
        return store;
    }

    private static async Task ExecuteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>One value read from a store file on a connection of its own (the sync tests use it too).</summary>
    internal static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }

    private static async Task<long> CountAsync(string path, string sql) => (long)(await ScalarAsync(path, sql))!;

    /// <summary>
    /// Chunks around 20 cluster centres with Zipf-distributed terms (a few very common, many rare;
    /// weights from a short list, so equal scores occur), and the exact answers to check against.
    /// </summary>
    private sealed class Corpus
    {
        private readonly Random _random;
        private readonly float[][] _centres;
        private readonly Dictionary<string, (int Document, float[] Vector, SparseVector Sparse, int Written)> _chunks = [];
        private int _written;

        public Corpus(int seed)
        {
            _random = new Random(seed);
            _centres = Enumerable.Range(0, 20).Select(_ => Normalize(Gaussian(1f))).ToArray();
        }

        public int Count => _chunks.Count;

        public static string DocumentId(int document) => $"doc{document:D4}";

        public static int DocumentNumber(string id) => int.Parse(id[3..]);

        public async Task WriteAllAsync(IKnowledgeStore store)
        {
            for (var d = 0; d < Documents; d++)
            {
                await WriteDocumentAsync(store, d);
            }
        }

        public async Task WriteDocumentAsync(IKnowledgeStore store, int document, int variant = 0)
        {
            Forget(document);
            var id = DocumentId(document);
            var chunks = new List<IndexedChunk>();
            for (var i = 0; i < ChunksPerDocument; i++)
            {
                var vector = VectorOf(document, i, variant);
                var sparse = Terms(12);
                var text = $"{id} chunk {i} v{variant}";
                var chunk = new Chunk { Id = Chunk.CreateId(id, i, text), DocumentId = id, Index = i, Text = text, Start = 0, End = text.Length };
                chunks.Add(new IndexedChunk(chunk, vector, sparse));
                _chunks[chunk.Id] = (document, vector, sparse, _written++);
            }
            var tags = new List<string> { document % 2 == 0 ? "even" : "odd" };
            if (document % 100 == 7)
            {
                tags.Add("rare");
            }
            await store.UpsertDocumentAsync(new StoredDocument { Id = id, Source = id, ContentHash = $"v{variant}", Tags = tags, Tenant = $"tenant-{document % 100}" }, chunks, Ct);
        }

        /// <summary>Drops a document from the expected state.</summary>
        public void Forget(int document)
        {
            foreach (var id in _chunks.Where(c => c.Value.Document == document).Select(c => c.Key).ToList())
            {
                _chunks.Remove(id);
            }
        }

        public bool Holds(string chunkId) => _chunks.ContainsKey(chunkId);

        /// <summary>A deterministic vector near one of the centres (the same for the same document, chunk and variant).</summary>
        public float[] VectorOf(int document, int chunk, int variant = 0)
        {
            var random = new Random(document * 1000 + chunk * 7 + variant * 100_003);
            var centre = _centres[(document + chunk / 10) % _centres.Length];
            return Normalize([.. centre.Select(c => c + (float)(random.NextDouble() - 0.5) * 0.6f)]);
        }

        public float[] QueryVector()
        {
            var centre = _centres[_random.Next(_centres.Length)];
            return Normalize([.. centre.Zip(Gaussian(0.3f), (c, n) => c + n)]);
        }

        public SparseVector QueryTerms(int count) =>
            Sparse([.. Enumerable.Range(0, count).Select(_ => ZipfTerm()).Distinct().Select(t => (t, 1f + _random.Next(2)))]);

        public double Cosine(string chunkId, float[] query)
        {
            var vector = _chunks[chunkId].Vector;
            double dot = 0, a = 0, b = 0;
            for (var i = 0; i < vector.Length; i++)
            {
                dot += vector[i] * query[i];
                a += vector[i] * vector[i];
                b += query[i] * query[i];
            }
            return dot / Math.Sqrt(a * b);
        }

        public List<(string Id, double Score)> ExactDense(float[] query, int top, Func<int, bool> allowed) =>
            _chunks.Where(c => allowed(c.Value.Document))
                .Select(c => (Id: c.Key, Score: Cosine(c.Key, query)))
                .OrderByDescending(x => x.Score).Take(top).ToList();

        /// <summary>BM25 as the store defines it, summed per chunk in weight-descending term order, ties by the earlier chunk.</summary>
        public List<(string Id, double Score)> ExhaustiveBm25(SparseVector query, int top, Func<int, bool> allowed)
        {
            var weights = new List<(uint Term, double Weight)>();
            for (var i = 0; i < query.Count; i++)
            {
                var df = _chunks.Values.Count(c => Array.BinarySearch(c.Sparse.Indices, query.Indices[i]) >= 0);
                if (df > 0)
                {
                    weights.Add((query.Indices[i], query.Values[i] * Math.Log(1 + (_chunks.Count - df + 0.5) / (df + 0.5))));
                }
            }
            var ordered = weights.OrderBy(w => w.Term).OrderByDescending(w => w.Weight).ToList();
            var scored = new List<(string Id, double Score)>();
            foreach (var (id, chunk) in _chunks.Where(c => allowed(c.Value.Document)))
            {
                double? score = null;
                foreach (var (term, weight) in ordered)
                {
                    var at = Array.BinarySearch(chunk.Sparse.Indices, term);
                    if (at >= 0)
                    {
                        score = (score ?? 0) + weight * chunk.Sparse.Values[at];
                    }
                }
                if (score is { } s)
                {
                    scored.Add((id, s));
                }
            }
            // Write order is chunk rowid order.
            return scored.OrderByDescending(x => x.Score).ThenBy(x => _chunks[x.Id].Written).Take(top).ToList();
        }

        private SparseVector Terms(int count) =>
            Sparse([.. Enumerable.Range(0, count).Select(_ => ZipfTerm()).Distinct().Select(t => (t, (float)(0.25 * (1 + _random.Next(8)))))]);

        private uint ZipfTerm() => (uint)Math.Min(2000, (int)(1 / (_random.NextDouble() + 0.0005)));

        private float[] Gaussian(float scale) =>
            [.. Enumerable.Range(0, Dimensions).Select(_ => scale * (float)(Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble())))];

        private static float[] Normalize(float[] vector)
        {
            var norm = MathF.Sqrt(vector.Sum(v => v * v));
            return [.. vector.Select(v => v / norm)];
        }

        private static SparseVector Sparse((uint Term, float Weight)[] terms)
        {
            var sorted = terms.OrderBy(t => t.Term).ToArray();
            return new SparseVector([.. sorted.Select(t => t.Term)], [.. sorted.Select(t => t.Weight)]);
        }
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using KnowledgeQa.Retrieval.Diagnostics;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// The default knowledge store: one SQLite file (WAL) holding documents, chunks with their
/// vectors and lexical weights. Search runs on a derived index (see <see cref="SearchIndexHost"/>):
/// from a few tens of thousands of chunks on, a memory-mapped file next to the store holds
/// quantized vectors in lists (dense candidates, rescored exactly from the stored vectors) and
/// inverted postings (exact BM25 top k with max-score pruning); smaller stores, and the chunks
/// written since the file was built, are searched exactly in memory. Every search first catches
/// up with writes committed since the last one, here or in another process, from a change log.
/// Safe for concurrent searches and writes within one process; writes are serialised and each
/// document write is one transaction.
/// </summary>
public sealed partial class EmbeddedKnowledgeStore : IKnowledgeStore
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly EmbeddedStoreOptions _options;
    private readonly SemaphoreSlim _openGate = new(1, 1);
    // Serialises writes.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SearchIndexHost _search;
    private volatile bool _opened;
    private volatile bool _disposed;
    private int _dimensions;
    private string? _embeddingModel;

    public EmbeddedKnowledgeStore(EmbeddedStoreOptions options)
        : this(options, new SearchIndexOptions())
    {
    }

    /// <summary>With the search index tuned (tests use small sizes to exercise the index file).</summary>
    internal EmbeddedKnowledgeStore(EmbeddedStoreOptions options, SearchIndexOptions searchIndex)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new InvalidOptionException("EmbeddedStoreOptions.Path is empty: give the SQLite file of the store, for example \"data/knowledge.db\".");
        }
        options.Validate();
        _options = options;
        _path = System.IO.Path.GetFullPath(options.Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // How long one statement waits for another process's lock; writes retry on top (BusyRetry).
            DefaultTimeout = BusyRetry.AttemptTimeoutSeconds(options.BusyTimeout),
        }.ToString();
        _search = new SearchIndexHost(_path, OpenConnectionAsync, searchIndex);
    }

    /// <summary>The full path of the store file.</summary>
    public string Path => _path;

    /// <summary>The search index (tests and the store benchmark read its statistics).</summary>
    internal SearchIndexHost SearchIndex => _search;

    /// <summary>Test hook: runs inside the write transaction after each chunk is written (with the count so far).</summary>
    internal Action<int>? AfterChunkWritten { get; set; }

    public async Task InitializeAsync(int dimensions, string embeddingModel, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentException.ThrowIfNullOrWhiteSpace(embeddingModel);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var (storedDimensions, storedModel) = await ReadModelAsync(connection, cancellationToken).ConfigureAwait(false);
            if (storedDimensions == 0)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT OR REPLACE INTO meta (key, value) VALUES (@dk, @d), (@mk, @m)";
                insert.Parameters.AddWithValue("@dk", StoreSchema.DimensionsKey);
                insert.Parameters.AddWithValue("@d", dimensions.ToString(CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("@mk", StoreSchema.EmbeddingModelKey);
                insert.Parameters.AddWithValue("@m", embeddingModel);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (storedDimensions != dimensions || !string.Equals(storedModel, embeddingModel, StringComparison.Ordinal))
            {
                throw new KnowledgeStoreException(
                    $"The store '{_path}' holds {storedDimensions}-dimension vectors from the embedding model '{storedModel}', " +
                    $"but this run embeds with '{embeddingModel}' ({dimensions} dimensions). Use the model the store was built with, " +
                    $"or ingest into a new store (another store path), or delete '{_path}' and ingest again.");
            }
            _dimensions = dimensions;
            _embeddingModel = embeddingModel;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RowMapping.DocumentColumns} FROM documents d WHERE d.id = @id";
        command.Parameters.AddWithValue("@id", documentId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? RowMapping.ReadDocument(reader) : null;
    }

    public async Task<DocumentWriteResult> UpsertDocumentAsync(StoredDocument document, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(chunks);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        ValidateChunks(document, chunks);
        var outcome = await WriteAsync(
            async statements => await DocumentWriter.UpsertAsync(
                statements, document, chunks, _options.DeletedVectorCacheSize, AfterChunkWritten, cancellationToken).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return outcome!.Result;
    }

    /// <summary>
    /// Writes the documents in one transaction: a document the store refuses (chunks that do not fit
    /// the store, a chunk id another document holds) is refused before any of it is written, its
    /// result names it and says why, and the others go in. One transaction and one set of prepared
    /// statements for the batch save what writing document by document pays each time (a
    /// connection, statement preparation, the commit and the store's counters; bench: store).
    /// </summary>
    /// <remarks>
    /// No savepoint per document (earlier versions had one): a savepoint makes SQLite keep the first
    /// image of every page it changes, and the checks before each document's first write leave
    /// nothing for it to roll back. A write error no check foresaw (a full disk) fails the whole
    /// batch, which the transaction then leaves unwritten.
    /// </remarks>
    public async Task<IReadOnlyList<DocumentUpsertResult>> UpsertDocumentsAsync(IReadOnlyList<DocumentUpsert> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        var results = new DocumentUpsertResult?[documents.Count];
        var writable = new List<int>(documents.Count);
        for (var i = 0; i < documents.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(documents[i]);
            var (document, chunks) = documents[i];
            try
            {
                ArgumentNullException.ThrowIfNull(document);
                ArgumentNullException.ThrowIfNull(chunks);
                ValidateChunks(document, chunks);
                writable.Add(i);
            }
            catch (Exception e) when (e is ArgumentException or KnowledgeStoreException)
            {
                results[i] = Refused(document?.Id ?? $"#{i}", e);
            }
        }
        if (writable.Count > 0)
        {
            await WriteAsync(async statements =>
            {
                foreach (var i in writable)
                {
                    var (document, chunks) = documents[i];
                    try
                    {
                        var outcome = await DocumentWriter.UpsertAsync(
                            statements, document, chunks, _options.DeletedVectorCacheSize, AfterChunkWritten, cancellationToken).ConfigureAwait(false);
                        results[i] = new DocumentUpsertResult(document.Id, outcome.Result, null);
                    }
                    catch (DuplicateChunkIdException e)
                    {
                        // Found before the document's first write: nothing of it to roll back.
                        results[i] = Refused(document.Id, e);
                    }
                }
                return results;
            }, cancellationToken).ConfigureAwait(false);
        }
        return results!;
    }

    private static DocumentUpsertResult Refused(string documentId, Exception error) =>
        new(documentId, null, new KnowledgeStoreException($"The document '{documentId}' was not written: {error.Message}", error));

    public async Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        return await WriteAsync(
            statements => DocumentWriter.DeleteAsync(statements, documentId, _options.DeletedVectorCacheSize, cancellationToken),
            cancellationToken).ConfigureAwait(false) is not null;
    }

    public async IAsyncEnumerable<StoredDocument> ListDocumentsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RowMapping.DocumentColumns} FROM documents d ORDER BY d.id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return RowMapping.ReadDocument(reader);
        }
    }

    public async IAsyncEnumerable<IndexedChunk> ReadChunksAsync(string documentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {RowMapping.ChunkColumns}, c.vector, c.sparse
            FROM chunks c JOIN documents d ON d.doc_key = c.doc_key
            WHERE d.id = @id ORDER BY c.idx
            """;
        command.Parameters.AddWithValue("@id", documentId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var chunk = RowMapping.ReadChunk(reader);
            var vector = BlobCodec.DecodeVector((byte[])reader.GetValue(RowMapping.ChunkColumnCount));
            var sparse = BlobCodec.DecodeSparse((byte[])reader.GetValue(RowMapping.ChunkColumnCount + 1));
            yield return new IndexedChunk(chunk, vector, sparse);
        }
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(StoreQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Top);
        ArgumentOutOfRangeException.ThrowIfNegative(query.FusionK);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        var useDense = query.Mode != SearchMode.Lexical && !query.Vector.IsEmpty;
        var useLexical = query.Mode != SearchMode.Dense && query.Sparse.Count > 0;
        if (query.Mode == SearchMode.Dense && query.Vector.IsEmpty)
        {
            throw new ArgumentException("A dense search needs the query vector (StoreQuery.Vector).", nameof(query));
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (_dimensions == 0)
        {
            // Another instance may have initialised the store since this one opened it.
            (_dimensions, _embeddingModel) = await ReadModelAsync(connection, cancellationToken).ConfigureAwait(false);
            if (_dimensions == 0)
            {
                return [];
            }
        }
        if (useDense && query.Vector.Length != _dimensions)
        {
            throw new KnowledgeStoreException(
                $"The query vector has {query.Vector.Length} dimensions but the store '{_path}' holds {_dimensions}-dimension vectors " +
                $"from '{_embeddingModel}': embed queries with the model the store was built with.");
        }
        HashSet<long>? allowed = null;
        if (!query.Filter.IsEmpty)
        {
            allowed = await ReadDocumentKeysAsync(connection, new SearchFilterSql(query.Filter), cancellationToken).ConfigureAwait(false);
            if (allowed.Count == 0)
            {
                return [];
            }
        }
        await _search.EnsureCurrentAsync(connection, _dimensions, cancellationToken).ConfigureAwait(false);
        var depth = query.Mode == SearchMode.Hybrid ? Math.Max(query.Candidates, query.Top) : query.Top;

        float[]? normalizedQuery = null;
        List<(long ChunkRowId, float Score)> dense = [];
        if (useDense)
        {
            normalizedQuery = new float[_dimensions];
            DenseIndex.Normalize(query.Vector.Span, normalizedQuery);
            using (RetrievalTelemetry.Storage.StartActivity("search.dense")?.SetTag("kqa.candidates", depth))
            {
                var candidates = _search.Read(index => index.SearchDense(normalizedQuery, depth, query.Top, allowed));
                dense = await ExactVectors.RescoreAsync(connection, candidates, normalizedQuery, depth, cancellationToken).ConfigureAwait(false);
            }
        }

        WeighedQuery? weighed = null;
        List<(long ChunkRowId, double Score)> lexical = [];
        if (useLexical)
        {
            using var lexicalActivity = RetrievalTelemetry.Storage.StartActivity("search.lexical")?.SetTag("kqa.candidates", depth).SetTag("kqa.terms", query.Sparse.Count);
            (weighed, lexical) = _search.Read(index =>
            {
                var terms = index.Weigh(query.Sparse);
                return (terms, index.SearchLexical(terms, depth, allowed));
            });
        }

        List<(long ChunkRowId, double Score)> ranked;
        using (query.Mode == SearchMode.Hybrid ? RetrievalTelemetry.Storage.StartActivity("search.fusion")?.SetTag("kqa.dense_candidates", dense.Count).SetTag("kqa.lexical_candidates", lexical.Count) : null)
            ranked = query.Mode switch
            {
                SearchMode.Dense => [.. dense.Select(h => (h.ChunkRowId, (double)h.Score))],
                SearchMode.Lexical => lexical,
                _ => await ReciprocalRankFusion.FuseAsync(connection, query.FusionK, [.. dense.Select(h => h.ChunkRowId)], [.. lexical.Select(h => h.ChunkRowId)], cancellationToken).ConfigureAwait(false),
            };
        if (ranked.Count > query.Top)
        {
            ranked.RemoveRange(query.Top, ranked.Count - query.Top);
        }
        var rowIds = ranked.ConvertAll(r => r.ChunkRowId);

        var denseScores = dense.ToDictionary(h => h.ChunkRowId, h => (double)h.Score);
        var lexicalScores = lexical.ToDictionary(h => h.ChunkRowId, h => h.Score);
        if (query.Mode == SearchMode.Hybrid)
        {
            // Both raw scores for every fused hit: callers threshold on them, and filling the gaps is cheap.
            if (normalizedQuery is not null)
            {
                var missing = rowIds.Where(id => !denseScores.ContainsKey(id)).ToList();
                foreach (var (id, score) in await ExactVectors.ScoreAsync(connection, _search, missing, normalizedQuery, cancellationToken).ConfigureAwait(false))
                {
                    denseScores[id] = score;
                }
            }
            if (weighed is not null)
            {
                var missing = rowIds.Where(id => !lexicalScores.ContainsKey(id)).ToList();
                foreach (var (id, score) in _search.Read(index => index.ScoreLexical(weighed, missing)))
                {
                    lexicalScores[id] = score;
                }
            }
        }

        var loaded = await HitLoader.LoadAsync(connection, rowIds, cancellationToken).ConfigureAwait(false);
        var hits = new List<SearchHit>(ranked.Count);
        foreach (var (rowId, score) in ranked)
        {
            // A hit deleted by a write that committed after the index was read is skipped.
            if (loaded.TryGetValue(rowId, out var hit))
            {
                hits.Add(hit with
                {
                    Score = score,
                    DenseScore = denseScores.TryGetValue(rowId, out var d) ? d : null,
                    LexicalScore = lexicalScores.TryGetValue(rowId, out var l) ? l : null,
                });
            }
        }
        return hits;
    }

    public async Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM documents";
        var documents = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        var chunks = await ReadMetaNumberAsync(connection, StoreSchema.ChunkCountKey, cancellationToken).ConfigureAwait(false);
        var (dimensions, model) = await ReadModelAsync(connection, cancellationToken).ConfigureAwait(false);
        return new StoreStatistics(documents, (int)chunks, dimensions, model);
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }
        _disposed = true;
        _search.Dispose();
        // Pooled connections keep the file open; closing them lets callers move or delete it.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Runs one write (one document, or a batch of them) in a transaction, its statements prepared
    /// once for the whole of it; the search index catches up with it on the next search (see
    /// <see cref="SearchIndexHost"/>). A store another process holds is retried with backoff (the
    /// write runs again from the start); a full disk and a store that stays busy become
    /// <see cref="StoreFullException"/> and <see cref="StoreBusyException"/>.
    /// </summary>
    private async Task<T?> WriteAsync<T>(Func<WriteStatements, Task<T?>> write, CancellationToken cancellationToken) where T : class
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunWithStoreErrorsAsync(async () =>
            {
                await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, WriterPragmas, cancellationToken).ConfigureAwait(false);
                return await WriteInTransactionAsync(connection, write, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<T?> WriteInTransactionAsync<T>(SqliteConnection connection, Func<WriteStatements, Task<T?>> write, CancellationToken cancellationToken) where T : class
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        T? outcome;
        await using (var statements = new WriteStatements(transaction))
        {
            try
            {
                outcome = await write(statements).ConfigureAwait(false);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
            {
                throw new KnowledgeStoreException(ConstraintMessage(e), e);
            }
        }
        if (outcome is null)
        {
            return null;
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private const int SqliteConstraint = 19;

    private string ConstraintMessage(SqliteException e) =>
        $"Writing to the store '{_path}' broke a constraint ({e.Message}). Chunk ids must be unique across documents: " +
        "two documents produced the same chunk id.";

    private static async Task<HashSet<long>> ReadDocumentKeysAsync(SqliteConnection connection, SearchFilterSql filter, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = filter.DocumentKeysQuery;
        filter.AddParametersTo(command);
        var keys = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(reader.GetInt64(0));
        }
        return keys;
    }

    private void ValidateChunks(StoredDocument document, IReadOnlyList<IndexedChunk> chunks)
    {
        if (_dimensions == 0)
        {
            throw new InvalidOperationException($"The store '{_path}' is not initialised: call InitializeAsync(dimensions, embeddingModel) before writing.");
        }
        foreach (var indexed in chunks)
        {
            ArgumentNullException.ThrowIfNull(indexed);
            if (indexed.Chunk.DocumentId != document.Id)
            {
                throw new ArgumentException($"Chunk '{indexed.Chunk.Id}' belongs to document '{indexed.Chunk.DocumentId}', not '{document.Id}'.", nameof(chunks));
            }
            if (indexed.Vector.Length != _dimensions)
            {
                throw new KnowledgeStoreException(
                    $"Chunk {indexed.Chunk.Index} of '{document.Id}' has a {indexed.Vector.Length}-dimension vector but the store '{_path}' " +
                    $"holds {_dimensions}-dimension vectors from '{_embeddingModel}': embed with the model the store was built with.");
            }
            if (indexed.Sparse.Indices.Length != indexed.Sparse.Values.Length)
            {
                throw new ArgumentException($"Chunk '{indexed.Chunk.Id}' has {indexed.Sparse.Indices.Length} sparse indices but {indexed.Sparse.Values.Length} values.", nameof(chunks));
            }
        }
    }

    private async Task EnsureOpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_opened)
        {
            return;
        }
        await _openGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_opened)
            {
                return;
            }
            var directory = System.IO.Path.GetDirectoryName(_path);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
            await RunWithStoreErrorsAsync(async () =>
            {
                await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                // Set up only a new file: the setup statements take the write lock, which would make
                // opening wait for another process's ingest to finish.
                if (!await HasSchemaAsync(connection, cancellationToken).ConfigureAwait(false))
                {
                    await using var setup = connection.CreateCommand();
                    setup.CommandText = $"""
                        PRAGMA page_size = {StoreSchema.PageSize};
                        PRAGMA journal_mode = WAL;
                        {StoreSchema.Create}
                        INSERT OR IGNORE INTO meta (key, value) VALUES
                            ('{StoreSchema.SchemaVersionKey}', '{StoreSchema.Version}'),
                            ('{StoreSchema.ChunkCountKey}', '0'),
                            ('{StoreSchema.GenerationKey}', '0'),
                            ('{StoreSchema.MaxWeightKey}', '0'),
                            ('{StoreSchema.MinWeightKey}', '0');
                        """;
                    await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    // The search index's change log too, while the file is empty: a store filled up to
                    // MaxSizeBytes before its first search would have no room left for it.
                    await IndexChangeLog.InstallAsync(connection, cancellationToken).ConfigureAwait(false);
                }
                var version = await ReadMetaNumberAsync(connection, StoreSchema.SchemaVersionKey, cancellationToken).ConfigureAwait(false);
                if (version > StoreSchema.Version)
                {
                    throw new KnowledgeStoreException(
                        $"The store '{_path}' has schema version {version}, newer than this KnowledgeQa understands ({StoreSchema.Version}): upgrade KnowledgeQa.");
                }
                if (version < StoreSchema.Version)
                {
                    await MigrateAsync(connection, version, cancellationToken).ConfigureAwait(false);
                }
                (_dimensions, _embeddingModel) = await ReadModelAsync(connection, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            _opened = true;
        }
        catch (SqliteException e)
        {
            throw new KnowledgeStoreException(
                $"The store '{_path}' cannot be opened ({e.Message}). Check that it is a KnowledgeQa store file and writable, or choose another path.", e);
        }
        finally
        {
            _openGate.Release();
        }
    }

    /// <summary>
    /// A larger page cache keeps the chunk indexes (by id, document and text hash) in memory while a
    /// batch goes in, and rarer checkpoints mean fewer fsyncs (bench: store). The pooled connection
    /// keeps both after the write: shrinking the cache again (as earlier versions did, to give readers
    /// SQLite's 2 MB default) dropped its pages, so every next document re-read the index pages its
    /// random text hashes land on, and writes slowed as the store grew. The cost is at most 96 MB of
    /// page cache on the connections that wrote, filled only as pages are read: at a million chunks the
    /// three chunk indexes come to about 60 MB (estimated), and with 32 MB a bulk write read 11 KB of index pages back
    /// per chunk (4 KB with 96 MB; 17,600 against 23,800 chunks per CPU-second, bench: store
    /// --write-only, docs/quality.md, seventh round). Smaller stores never fill it.
    /// </summary>
    /// <remarks>
    /// temp_store = MEMORY keeps the statement journals in memory: inside a transaction of several
    /// statements, SQLite saves the first image of every page an INSERT that may abort (any NOT NULL
    /// column) changes, about five 16 KB pages per chunk row here, and by default spills that journal
    /// to a temporary file past 64 KB: 90 KB of write calls per chunk, against 6 KB in memory (bench:
    /// store --write-only, 100,000 chunks).
    /// </remarks>
    private const string WriterPragmas = "PRAGMA cache_size = -98304; PRAGMA wal_autocheckpoint = 8192; PRAGMA temp_store = MEMORY;";

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> HasSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await PrepareConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<(int Dimensions, string? Model)> ReadModelAsync(SqliteConnection connection, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        var dimensions = (int)await ReadMetaNumberAsync(connection, StoreSchema.DimensionsKey, cancellationToken, transaction).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM meta WHERE key = @key";
        command.Parameters.AddWithValue("@key", StoreSchema.EmbeddingModelKey);
        var model = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        return (dimensions, model);
    }

    private static async Task<long> ReadMetaNumberAsync(SqliteConnection connection, string key, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = @key";
        command.Parameters.AddWithValue("@key", key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long value ? value : 0;
    }
}

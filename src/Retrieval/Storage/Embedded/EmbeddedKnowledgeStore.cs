using System.Globalization;
using System.Runtime.CompilerServices;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// The default knowledge store: one SQLite file (WAL) holding documents, chunks with their
/// vectors, and a BM25 postings index. Dense search is an exact cosine scan over an in-memory
/// copy of the vectors, loaded on the first dense search and kept in step with this instance's
/// writes (writes by another process are noticed and trigger a reload). Lexical search is SQL
/// over the postings. Safe for concurrent searches and writes within one process; writes are
/// serialised and each document write is one transaction.
/// </summary>
public sealed partial class EmbeddedKnowledgeStore : IKnowledgeStore
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly EmbeddedStoreOptions _options;
    private readonly SemaphoreSlim _openGate = new(1, 1);
    // Serialises writes, and dense-index loads against writes, so the index always mirrors one committed state.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    // Guards the in-memory index: many concurrent scans, or one writer applying a committed change.
    private readonly ReaderWriterLockSlim _indexLock = new(LockRecursionPolicy.NoRecursion);
    private volatile bool _opened;
    private volatile bool _disposed;
    private int _dimensions;
    private string? _embeddingModel;
    private DenseIndex? _dense;
    private long _denseGeneration;

    public EmbeddedKnowledgeStore(EmbeddedStoreOptions options)
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
    }

    /// <summary>The full path of the store file.</summary>
    public string Path => _path;

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
            async transaction => await DocumentWriter.UpsertAsync(
                transaction, document, chunks, _options.DeletedVectorCacheSize, AfterChunkWritten, cancellationToken).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return outcome!.Result;
    }

    public async Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        return await WriteAsync(
            transaction => DocumentWriter.DeleteAsync(transaction, documentId, _options.DeletedVectorCacheSize, cancellationToken),
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
        var filter = query.Filter.IsEmpty ? null : new SearchFilterSql(query.Filter);
        var depth = query.Mode == SearchMode.Hybrid ? Math.Max(query.Candidates, query.Top) : query.Top;

        float[]? normalizedQuery = null;
        (long ChunkRowId, float Score)[] dense = [];
        if (useDense && _dimensions > 0)
        {
            if (query.Vector.Length != _dimensions)
            {
                throw new KnowledgeStoreException(
                    $"The query vector has {query.Vector.Length} dimensions but the store '{_path}' holds {_dimensions}-dimension vectors " +
                    $"from '{_embeddingModel}': embed queries with the model the store was built with.");
            }
            normalizedQuery = new float[_dimensions];
            DenseIndex.Normalize(query.Vector.Span, normalizedQuery);
            dense = await SearchDenseAsync(connection, normalizedQuery, depth, filter, cancellationToken).ConfigureAwait(false);
        }

        LexicalSearcher? lexicalSearch = null;
        if (useLexical)
        {
            var statistics = await ReadLexicalStatisticsAsync(connection, cancellationToken).ConfigureAwait(false);
            var allowedChunks = filter is null ? null : await ReadChunkRowIdsAsync(connection, filter, cancellationToken).ConfigureAwait(false);
            lexicalSearch = await LexicalSearcher.SearchAsync(connection, query.Sparse, statistics, depth, allowedChunks, cancellationToken).ConfigureAwait(false);
        }
        var lexical = lexicalSearch?.Ranked ?? [];

        List<(long ChunkRowId, double Score)> ranked = query.Mode switch
        {
            SearchMode.Dense => [.. dense.Select(h => (h.ChunkRowId, (double)h.Score))],
            SearchMode.Lexical => lexical,
            _ => ReciprocalRankFusion.Fuse(query.FusionK, [.. dense.Select(h => h.ChunkRowId)], [.. lexical.Select(h => h.ChunkRowId)]),
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
                FillDenseScores(rowIds, normalizedQuery, denseScores);
            }
            var missing = rowIds.Where(id => !lexicalScores.ContainsKey(id)).ToList();
            if (lexicalSearch is not null && missing.Count > 0)
            {
                foreach (var (id, score) in await lexicalSearch.ScoreAsync(connection, missing, cancellationToken).ConfigureAwait(false))
                {
                    lexicalScores[id] = score;
                }
            }
        }

        var loaded = await HitLoader.LoadAsync(connection, rowIds, cancellationToken).ConfigureAwait(false);
        var hits = new List<SearchHit>(ranked.Count);
        foreach (var (rowId, score) in ranked)
        {
            // A hit deleted by a write that committed after the scan is skipped.
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
        // Pooled connections keep the file open; closing them lets callers move or delete it.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        _indexLock.EnterWriteLock();
        _dense = null;
        _indexLock.ExitWriteLock();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Runs one document write in a transaction and mirrors the committed change in the dense index.
    /// A store another process holds is retried with backoff; a full disk and a store that stays
    /// busy become <see cref="StoreFullException"/> and <see cref="StoreBusyException"/>.
    /// </summary>
    private async Task<WriteOutcome?> WriteAsync(Func<SqliteTransaction, Task<WriteOutcome?>> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunWithStoreErrorsAsync(async () =>
            {
                await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, WriterPragmas, cancellationToken).ConfigureAwait(false);
                try
                {
                    return await WriteInTransactionAsync(connection, write, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // Pooled connections keep their settings: give the memory back for readers.
                    await ExecuteAsync(connection, ReaderPragmas, CancellationToken.None).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<WriteOutcome?> WriteInTransactionAsync(SqliteConnection connection, Func<SqliteTransaction, Task<WriteOutcome?>> write, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var generationBefore = await ReadMetaNumberAsync(connection, StoreSchema.GenerationKey, cancellationToken, transaction).ConfigureAwait(false);
        WriteOutcome? outcome;
        try
        {
            outcome = await write(transaction).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 /* SQLITE_CONSTRAINT */)
        {
            throw new KnowledgeStoreException(
                $"Writing to the store '{_path}' broke a constraint ({e.Message}). Chunk ids must be unique across documents: " +
                "two documents produced the same chunk id.", e);
        }
        if (outcome is null)
        {
            return null;
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        // An unchanged document touched no chunk and left the generation where it was.
        if (outcome.Result != DocumentWriteResult.Unchanged)
        {
            ApplyToDenseIndex(outcome, generationBefore);
        }
        return outcome;
    }

    private void ApplyToDenseIndex(WriteOutcome outcome, long generationBefore)
    {
        _indexLock.EnterWriteLock();
        try
        {
            // An index that already missed another process's write stays stale and is reloaded by the next dense search.
            if (_dense is null || _denseGeneration != generationBefore)
            {
                return;
            }
            foreach (var rowId in outcome.RemovedChunkRowIds)
            {
                _dense.Remove(rowId);
            }
            foreach (var chunk in outcome.AddedChunks)
            {
                _dense.Add(chunk.ChunkRowId, chunk.DocumentKey, chunk.Vector.Span);
            }
            _denseGeneration = generationBefore + 1;
        }
        finally
        {
            _indexLock.ExitWriteLock();
        }
    }

    private async Task<(long ChunkRowId, float Score)[]> SearchDenseAsync(
        SqliteConnection connection, float[] normalizedQuery, int depth, SearchFilterSql? filter, CancellationToken cancellationToken)
    {
        HashSet<long>? allowed = null;
        if (filter is not null)
        {
            allowed = await ReadDocumentKeysAsync(connection, filter, cancellationToken).ConfigureAwait(false);
            if (allowed.Count == 0)
            {
                return [];
            }
        }
        await EnsureDenseIndexCurrentAsync(connection, cancellationToken).ConfigureAwait(false);
        _indexLock.EnterReadLock();
        try
        {
            return _dense?.Search(normalizedQuery, depth, allowed) ?? [];
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    private void FillDenseScores(List<long> rowIds, float[] normalizedQuery, Dictionary<long, double> denseScores)
    {
        _indexLock.EnterReadLock();
        try
        {
            foreach (var rowId in rowIds)
            {
                if (!denseScores.ContainsKey(rowId) && _dense?.Score(rowId, normalizedQuery) is { } score)
                {
                    denseScores[rowId] = score;
                }
            }
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    /// <summary>Loads the dense index on first use, and reloads it when another process has written to the file.</summary>
    private async Task EnsureDenseIndexCurrentAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var generation = await ReadMetaNumberAsync(connection, StoreSchema.GenerationKey, cancellationToken).ConfigureAwait(false);
        if (IsDenseIndexAt(generation))
        {
            return;
        }
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var loadConnection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var snapshot = loadConnection.BeginTransaction(deferred: true);
            generation = await ReadMetaNumberAsync(loadConnection, StoreSchema.GenerationKey, cancellationToken, snapshot).ConfigureAwait(false);
            if (IsDenseIndexAt(generation))
            {
                return;
            }
            var index = await LoadDenseIndexAsync(snapshot, cancellationToken).ConfigureAwait(false);
            _indexLock.EnterWriteLock();
            try
            {
                _dense = index;
                _denseGeneration = generation;
            }
            finally
            {
                _indexLock.ExitWriteLock();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private bool IsDenseIndexAt(long generation)
    {
        _indexLock.EnterReadLock();
        try
        {
            return _dense is not null && _denseGeneration == generation;
        }
        finally
        {
            _indexLock.ExitReadLock();
        }
    }

    /// <summary>Reads every vector within one read transaction, so the index mirrors a single committed state.</summary>
    private async Task<DenseIndex?> LoadDenseIndexAsync(SqliteTransaction snapshot, CancellationToken cancellationToken)
    {
        var connection = snapshot.Connection!;
        var (dimensions, _) = await ReadModelAsync(connection, cancellationToken, snapshot).ConfigureAwait(false);
        if (dimensions == 0)
        {
            return null;
        }
        var expected = await ReadMetaNumberAsync(connection, StoreSchema.ChunkCountKey, cancellationToken, snapshot).ConfigureAwait(false);
        var index = new DenseIndex(dimensions, (int)expected);
        var bytes = new byte[dimensions * sizeof(float)];
        var vector = new float[dimensions];
        await using var command = connection.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = "SELECT rowid, doc_key, vector FROM chunks";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var length = reader.GetBytes(2, 0, null, 0, 0);
            if (length != bytes.Length)
            {
                throw new KnowledgeStoreException(
                    $"The store '{_path}' is damaged: chunk row {reader.GetInt64(0)} has a {length}-byte vector where {dimensions} dimensions " +
                    $"need {bytes.Length}. Delete the file and ingest again.");
            }
            reader.GetBytes(2, 0, bytes, 0, bytes.Length);
            BlobCodec.DecodeVector(bytes, vector);
            index.Add(reader.GetInt64(0), reader.GetInt64(1), vector);
        }
        return index;
    }

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

    private static async Task<LexicalStatistics> ReadLexicalStatisticsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT
                (SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{StoreSchema.ChunkCountKey}'),
                (SELECT CAST(value AS REAL) FROM meta WHERE key = '{StoreSchema.MaxWeightKey}'),
                (SELECT CAST(value AS REAL) FROM meta WHERE key = '{StoreSchema.MinWeightKey}')
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        // Without the weight range, an infinite bound simply turns pruning off.
        return new LexicalStatistics(
            reader.IsDBNull(0) ? 0 : reader.GetInt64(0),
            reader.IsDBNull(1) ? double.PositiveInfinity : reader.GetDouble(1),
            !reader.IsDBNull(2) && reader.GetDouble(2) >= 0);
    }

    private static async Task<HashSet<long>> ReadChunkRowIdsAsync(SqliteConnection connection, SearchFilterSql filter, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT c.rowid FROM chunks c WHERE c.doc_key IN ({filter.DocumentKeysQuery})";
        filter.AddParametersTo(command);
        var rowIds = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rowIds.Add(reader.GetInt64(0));
        }
        return rowIds;
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
    /// A larger page cache keeps the postings B-tree in memory while a document's postings go in at
    /// scattered terms, and rarer checkpoints mean fewer fsyncs: together they halved write time
    /// (bench: store). Readers keep SQLite's 2 MB default.
    /// </summary>
    private const string WriterPragmas = "PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 8192;";
    private const string ReaderPragmas = "PRAGMA cache_size = -2000; PRAGMA wal_autocheckpoint = 1000;";

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

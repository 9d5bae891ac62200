using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>A chunk id the document repeats or another document already holds: the document is refused, the store unchanged.</summary>
internal sealed class DuplicateChunkIdException(string chunkId, string holder)
    : KnowledgeStoreException(
        $"The chunk id '{chunkId}' is already held by the document '{holder}'. Chunk ids must be unique across documents: " +
        "two documents (or two chunks of one) produced the same chunk id.");

/// <summary>A chunk row written to the file.</summary>
internal readonly record struct WrittenChunk(long ChunkRowId, long DocumentKey, ReadOnlyMemory<float> Vector);

/// <summary>What one committed write changed: chunk rows removed and added.</summary>
internal sealed record WriteOutcome(IReadOnlyList<long> RemovedChunkRowIds, IReadOnlyList<WrittenChunk> AddedChunks)
{
    /// <summary>For upserts: whether the document was new or replaced an older version.</summary>
    public DocumentWriteResult Result { get; init; } = DocumentWriteResult.Added;
}

/// <summary>
/// The SQL of document writes, run inside the caller's transaction so that a document, its tags,
/// chunks and their change-log entries change together or not at all (a batch of documents shares
/// one transaction, see EmbeddedKnowledgeStore.UpsertDocumentsAsync).
/// </summary>
internal static class DocumentWriter
{
    /// <summary>
    /// Writes the document. When the file already holds this id with the same content hash, no chunk
    /// is touched and the result is <see cref="DocumentWriteResult.Unchanged"/> (only the source name
    /// and file fingerprint are brought up to date): the check runs inside the write transaction, so
    /// of two writers of one document exactly one reports it added.
    /// </summary>
    public static async Task<WriteOutcome> UpsertAsync(
        WriteStatements statements, StoredDocument document, IReadOnlyList<IndexedChunk> chunks,
        int vectorCacheSize, Action<int>? afterChunkWritten, CancellationToken cancellationToken)
    {
        var (documentKey, storedHash) = await FindDocumentAsync(statements, document.Id, cancellationToken).ConfigureAwait(false);
        if (storedHash == document.ContentHash)
        {
            var touch = statements.Get(
                "UPDATE documents SET source_name = @sourceName, file_fingerprint = @fingerprint WHERE doc_key = @key");
            touch.Parameters.AddWithValue("@key", documentKey!.Value);
            touch.Parameters.AddWithValue("@sourceName", (object?)document.SourceName ?? DBNull.Value);
            touch.Parameters.AddWithValue("@fingerprint", (object?)document.FileFingerprint ?? DBNull.Value);
            await touch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new WriteOutcome([], []) { Result = DocumentWriteResult.Unchanged };
        }
        // Before anything changes: a refused document leaves the store as it was, with no savepoint to roll back.
        var idKeys = await CheckChunkIdsAsync(statements, document.Id, chunks, cancellationToken).ConfigureAwait(false);
        // Each text's hash is computed once (IndexedChunk.TextHash computes it on every read).
        var textHashes = new string[chunks.Count];
        for (var i = 0; i < chunks.Count; i++)
        {
            textHashes[i] = chunks[i].TextHash;
        }
        IReadOnlyList<long> removed = [];
        if (documentKey is { } existing)
        {
            var kept = textHashes.ToHashSet(StringComparer.Ordinal);
            removed = await RemoveChunksAsync(statements, existing, kept, vectorCacheSize, cancellationToken).ConfigureAwait(false);
            var clearTags = statements.Get("DELETE FROM document_tags WHERE doc_key = @key");
            clearTags.Parameters.AddWithValue("@key", existing);
            await clearTags.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var upsert = statements.Get("""
            INSERT INTO documents (id, source, title, content_hash, tags, tenant, chunk_count, ingested_at, source_name, file_fingerprint)
            VALUES (@id, @source, @title, @hash, @tags, @tenant, @count, @at, @sourceName, @fingerprint)
            ON CONFLICT (id) DO UPDATE SET source = excluded.source, title = excluded.title,
                content_hash = excluded.content_hash, tags = excluded.tags, tenant = excluded.tenant,
                chunk_count = excluded.chunk_count, ingested_at = excluded.ingested_at,
                source_name = excluded.source_name, file_fingerprint = excluded.file_fingerprint
            RETURNING doc_key
            """);
        {
            upsert.Parameters.AddWithValue("@id", document.Id);
            upsert.Parameters.AddWithValue("@source", document.Source);
            upsert.Parameters.AddWithValue("@title", (object?)document.Title ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@hash", document.ContentHash);
            upsert.Parameters.AddWithValue("@tags", RowMapping.SerializeStrings(document.Tags));
            upsert.Parameters.AddWithValue("@tenant", (object?)document.Tenant ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@count", chunks.Count);
            upsert.Parameters.AddWithValue("@at", RowMapping.FormatTime(document.IngestedAt));
            upsert.Parameters.AddWithValue("@sourceName", (object?)document.SourceName ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@fingerprint", (object?)document.FileFingerprint ?? DBNull.Value);
            documentKey = (long)(await upsert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var insertTag = statements.Get("INSERT OR IGNORE INTO document_tags (doc_key, tag) VALUES (@key, @tag)");
        {
            insertTag.Parameters.AddWithValue("@key", documentKey);
            var tag = insertTag.Parameters.Add("@tag", SqliteType.Text);
            foreach (var value in document.Tags)
            {
                tag.Value = value;
                await insertTag.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var added = InsertChunks(statements, documentKey.Value, chunks, idKeys, textHashes, afterChunkWritten);
        await RecordChangeAsync(statements, added.Count - removed.Count, cancellationToken).ConfigureAwait(false);
        await WidenWeightRangeAsync(statements, chunks, cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(removed, added) { Result = storedHash is null ? DocumentWriteResult.Added : DocumentWriteResult.Replaced };
    }

    /// <summary>Deletes a document with its chunks; null when there is no such document.</summary>
    public static async Task<WriteOutcome?> DeleteAsync(WriteStatements statements, string documentId, int vectorCacheSize, CancellationToken cancellationToken)
    {
        if ((await FindDocumentAsync(statements, documentId, cancellationToken).ConfigureAwait(false)).Key is not { } documentKey)
        {
            return null;
        }
        var removed = await RemoveChunksAsync(statements, documentKey, kept: null, vectorCacheSize, cancellationToken).ConfigureAwait(false);
        var delete = statements.Get("DELETE FROM documents WHERE doc_key = @key");
        delete.Parameters.AddWithValue("@key", documentKey);
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(statements, -removed.Count, cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(removed, []);
    }

    private static async Task<(long? Key, string? ContentHash)> FindDocumentAsync(WriteStatements statements, string documentId, CancellationToken cancellationToken)
    {
        var find = statements.Get("SELECT doc_key, content_hash FROM documents WHERE id = @id");
        find.Parameters.AddWithValue("@id", documentId);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetString(1)) : (null, null);
    }

    /// <summary>
    /// Refuses chunk ids that the document repeats or another document holds (its own older chunks
    /// do not count: they are about to go). The id column is not UNIQUE (see <see cref="StoreSchema"/>):
    /// one look-up by key for the whole document does the check instead, before the document's first
    /// write, so the only constraint a document can break is found while nothing has changed yet.
    /// Returns the chunks' id keys, in order, for the insert to reuse.
    /// </summary>
    private static async Task<long[]> CheckChunkIdsAsync(WriteStatements statements, string documentId, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(chunks.Count, StringComparer.Ordinal);
        foreach (var indexed in chunks)
        {
            if (!ids.Add(indexed.Chunk.Id))
            {
                throw new DuplicateChunkIdException(indexed.Chunk.Id, documentId);
            }
        }
        var find = statements.Get("""
            SELECT c.id, d.id FROM chunks c JOIN documents d ON d.doc_key = c.doc_key
            WHERE c.id_key IN (SELECT value FROM json_each(@keys)) AND d.id <> @document
            """);
        find.Parameters.AddWithValue("@document", documentId);
        var idKeys = chunks.Select(c => RowKeys.Of(c.Chunk.Id)).ToArray();
        find.Parameters.AddWithValue("@keys", System.Text.Json.JsonSerializer.Serialize(idKeys));
        await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ids.Contains(reader.GetString(0)))
            {
                throw new DuplicateChunkIdException(reader.GetString(0), reader.GetString(1));
            }
        }
        return idKeys;
    }

    private static List<WrittenChunk> InsertChunks(
        WriteStatements statements, long documentKey, IReadOnlyList<IndexedChunk> chunks, long[] idKeys, string[] textHashes,
        Action<int>? afterChunkWritten)
    {
        // Postings are not written here: the search index derives them from the sparse column.
        var insert = statements.Chunks;
        var written = new List<WrittenChunk>(chunks.Count);
        for (var i = 0; i < chunks.Count; i++)
        {
            var indexed = chunks[i];
            var rowId = insert.Insert(documentKey, indexed, textHashes[i], idKeys[i], RowKeys.Of(textHashes[i]));
            written.Add(new WrittenChunk(rowId, documentKey, indexed.Vector));
            afterChunkWritten?.Invoke(written.Count);
        }
        return written;
    }

    /// <summary>
    /// Deletes a document's chunks (the search index learns of it from the change log the chunks
    /// table's triggers write). The vectors of texts that leave the store (not in <paramref name="kept"/>,
    /// the texts the new version keeps, nor in another document) go to the bounded vector cache first.
    /// </summary>
    private static async Task<List<long>> RemoveChunksAsync(
        WriteStatements statements, long documentKey, IReadOnlySet<string>? kept, int vectorCacheSize, CancellationToken cancellationToken)
    {
        if (vectorCacheSize > 0)
        {
            await CacheVectorsAsync(statements, documentKey, kept, vectorCacheSize, cancellationToken).ConfigureAwait(false);
        }
        var chunks = new List<long>();
        var select = statements.Get("SELECT rowid FROM chunks WHERE doc_key = @key");
        {
            select.Parameters.AddWithValue("@key", documentKey);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                chunks.Add(reader.GetInt64(0));
            }
        }
        var deleteChunks = statements.Get("DELETE FROM chunks WHERE doc_key = @key");
        {
            deleteChunks.Parameters.AddWithValue("@key", documentKey);
            await deleteChunks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return chunks;
    }

    private static async Task CacheVectorsAsync(
        WriteStatements statements, long documentKey, IReadOnlySet<string>? kept, int vectorCacheSize, CancellationToken cancellationToken)
    {
        // INSERT OR REPLACE gives a re-cached text a new seq, so the trim below drops the oldest.
        var cache = statements.Get("""
            INSERT OR REPLACE INTO vector_cache (text_hash, vector)
            SELECT text_hash, vector FROM chunks
            WHERE doc_key = @key AND text_hash <> '' AND text_hash NOT IN (SELECT value FROM json_each(@kept))
                AND NOT EXISTS (SELECT 1 FROM chunks other WHERE other.text_key = chunks.text_key AND other.text_hash = chunks.text_hash AND other.doc_key <> @key)
            ORDER BY idx
            """);
        {
            cache.Parameters.AddWithValue("@key", documentKey);
            cache.Parameters.AddWithValue("@kept", System.Text.Json.JsonSerializer.Serialize(kept ?? new HashSet<string>()));
            if (await cache.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return;
            }
        }
        var trim = statements.Get("DELETE FROM vector_cache WHERE seq <= (SELECT MAX(seq) FROM vector_cache) - @size");
        trim.Parameters.AddWithValue("@size", vectorCacheSize);
        await trim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Keeps the chunk count (N of the IDF) current and bumps the generation other store instances watch.</summary>
    private static async Task RecordChangeAsync(WriteStatements statements, int chunkDelta, CancellationToken cancellationToken)
    {
        var update = statements.Get($"""
            UPDATE meta SET value = CAST(value AS INTEGER) + @delta WHERE key = '{StoreSchema.ChunkCountKey}';
            UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = '{StoreSchema.GenerationKey}';
            """);
        update.Parameters.AddWithValue("@delta", chunkDelta);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WidenWeightRangeAsync(WriteStatements statements, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken)
    {
        var (max, min, any) = (float.MinValue, float.MaxValue, false);
        foreach (var indexed in chunks)
        {
            foreach (var value in indexed.Sparse.Values)
            {
                (max, min, any) = (Math.Max(max, value), Math.Min(min, value), true);
            }
        }
        if (!any)
        {
            return;
        }
        var update = statements.Get($"""
            UPDATE meta SET value = MAX(CAST(value AS REAL), @max) WHERE key = '{StoreSchema.MaxWeightKey}';
            UPDATE meta SET value = MIN(CAST(value AS REAL), @min) WHERE key = '{StoreSchema.MinWeightKey}';
            """);
        update.Parameters.AddWithValue("@max", (double)max);
        update.Parameters.AddWithValue("@min", (double)min);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A command in the caller's transaction (for one-off statements; repeated ones go through <see cref="WriteStatements"/>).</summary>
    internal static SqliteCommand Command(SqliteTransaction transaction, string sql)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}

/// <summary>
/// The statements of one write transaction, each prepared once and reused by every document the
/// transaction writes: a batch of documents parses and plans its SQL once, not once per document.
/// Parameters are cleared on every reuse. Disposed with the transaction.
/// </summary>
internal sealed class WriteStatements(SqliteTransaction transaction) : IAsyncDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private ChunkInserter? _chunks;

    public SqliteTransaction Transaction => transaction;

    /// <summary>The chunk insert, bound by position (the hot statement of a bulk write, see <see cref="ChunkInserter"/>).</summary>
    public ChunkInserter Chunks => _chunks ??= new ChunkInserter(transaction.Connection!);

    public SqliteCommand Get(string sql)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            command.Parameters.Clear();
            return command;
        }
        command = DocumentWriter.Command(transaction, sql);
        _commands[sql] = command;
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        _chunks?.Dispose();
        _chunks = null;
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
        _commands.Clear();
    }
}

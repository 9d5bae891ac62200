using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>A chunk row written to the file, to be mirrored in the in-memory dense index.</summary>
internal readonly record struct WrittenChunk(long ChunkRowId, long DocumentKey, ReadOnlyMemory<float> Vector);

/// <summary>What one committed write changed: chunk rows removed and added.</summary>
internal sealed record WriteOutcome(IReadOnlyList<long> RemovedChunkRowIds, IReadOnlyList<WrittenChunk> AddedChunks);

/// <summary>
/// The SQL of document writes, run inside the caller's transaction so that a document, its tags,
/// chunks and postings change together or not at all.
/// </summary>
internal static class DocumentWriter
{
    public static async Task<WriteOutcome> UpsertAsync(
        SqliteTransaction transaction, StoredDocument document, IReadOnlyList<IndexedChunk> chunks,
        Action<int>? afterChunkWritten, CancellationToken cancellationToken)
    {
        var documentKey = await FindDocumentKeyAsync(transaction, document.Id, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<long> removed = [];
        if (documentKey is { } existing)
        {
            removed = await RemoveChunksAsync(transaction, existing, cancellationToken).ConfigureAwait(false);
            await using var clearTags = Command(transaction, "DELETE FROM document_tags WHERE doc_key = @key");
            clearTags.Parameters.AddWithValue("@key", existing);
            await clearTags.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var upsert = Command(transaction, """
            INSERT INTO documents (id, source, title, content_hash, tags, tenant, chunk_count, ingested_at)
            VALUES (@id, @source, @title, @hash, @tags, @tenant, @count, @at)
            ON CONFLICT (id) DO UPDATE SET source = excluded.source, title = excluded.title,
                content_hash = excluded.content_hash, tags = excluded.tags, tenant = excluded.tenant,
                chunk_count = excluded.chunk_count, ingested_at = excluded.ingested_at
            RETURNING doc_key
            """))
        {
            upsert.Parameters.AddWithValue("@id", document.Id);
            upsert.Parameters.AddWithValue("@source", document.Source);
            upsert.Parameters.AddWithValue("@title", (object?)document.Title ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@hash", document.ContentHash);
            upsert.Parameters.AddWithValue("@tags", RowMapping.SerializeStrings(document.Tags));
            upsert.Parameters.AddWithValue("@tenant", (object?)document.Tenant ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@count", chunks.Count);
            upsert.Parameters.AddWithValue("@at", RowMapping.FormatTime(document.IngestedAt));
            documentKey = (long)(await upsert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using (var insertTag = Command(transaction, "INSERT OR IGNORE INTO document_tags (doc_key, tag) VALUES (@key, @tag)"))
        {
            insertTag.Parameters.AddWithValue("@key", documentKey);
            var tag = insertTag.Parameters.Add("@tag", SqliteType.Text);
            foreach (var value in document.Tags)
            {
                tag.Value = value;
                await insertTag.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var added = await InsertChunksAsync(transaction, documentKey.Value, chunks, afterChunkWritten, cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(transaction, added.Count - removed.Count, cancellationToken).ConfigureAwait(false);
        await WidenWeightRangeAsync(transaction, chunks, cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(removed, added);
    }

    /// <summary>Deletes a document with its chunks and postings; null when there is no such document.</summary>
    public static async Task<WriteOutcome?> DeleteAsync(SqliteTransaction transaction, string documentId, CancellationToken cancellationToken)
    {
        if (await FindDocumentKeyAsync(transaction, documentId, cancellationToken).ConfigureAwait(false) is not { } documentKey)
        {
            return null;
        }
        var removed = await RemoveChunksAsync(transaction, documentKey, cancellationToken).ConfigureAwait(false);
        await using var delete = Command(transaction, "DELETE FROM documents WHERE doc_key = @key");
        delete.Parameters.AddWithValue("@key", documentKey);
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(transaction, -removed.Count, cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(removed, []);
    }

    private static async Task<long?> FindDocumentKeyAsync(SqliteTransaction transaction, string documentId, CancellationToken cancellationToken)
    {
        await using var find = Command(transaction, "SELECT doc_key FROM documents WHERE id = @id");
        find.Parameters.AddWithValue("@id", documentId);
        return await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
    }

    private static async Task<List<WrittenChunk>> InsertChunksAsync(
        SqliteTransaction transaction, long documentKey, IReadOnlyList<IndexedChunk> chunks,
        Action<int>? afterChunkWritten, CancellationToken cancellationToken)
    {
        await using var insertChunk = Command(transaction, """
            INSERT INTO chunks (id, doc_key, idx, text, start_offset, end_offset, headings, page, token_count, vector, sparse)
            VALUES (@id, @key, @idx, @text, @start, @end, @headings, @page, @tokens, @vector, @sparse)
            RETURNING rowid
            """);
        var id = insertChunk.Parameters.Add("@id", SqliteType.Text);
        insertChunk.Parameters.AddWithValue("@key", documentKey);
        var index = insertChunk.Parameters.Add("@idx", SqliteType.Integer);
        var text = insertChunk.Parameters.Add("@text", SqliteType.Text);
        var start = insertChunk.Parameters.Add("@start", SqliteType.Integer);
        var end = insertChunk.Parameters.Add("@end", SqliteType.Integer);
        var headings = insertChunk.Parameters.Add("@headings", SqliteType.Text);
        var page = insertChunk.Parameters.Add("@page", SqliteType.Integer);
        var tokens = insertChunk.Parameters.Add("@tokens", SqliteType.Integer);
        var vector = insertChunk.Parameters.Add("@vector", SqliteType.Blob);
        var sparse = insertChunk.Parameters.Add("@sparse", SqliteType.Blob);

        // Postings are not written here: the search index derives them from the sparse column.
        var written = new List<WrittenChunk>(chunks.Count);
        foreach (var indexed in chunks)
        {
            var chunk = indexed.Chunk;
            id.Value = chunk.Id;
            index.Value = chunk.Index;
            text.Value = chunk.Text;
            start.Value = chunk.Start;
            end.Value = chunk.End;
            headings.Value = RowMapping.SerializeStrings(chunk.Headings);
            page.Value = (object?)chunk.Page ?? DBNull.Value;
            tokens.Value = chunk.TokenCount;
            vector.Value = BlobCodec.EncodeVector(indexed.Vector.Span);
            sparse.Value = BlobCodec.EncodeSparse(indexed.Sparse);
            var rowId = (long)(await insertChunk.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            written.Add(new WrittenChunk(rowId, documentKey, indexed.Vector));
            afterChunkWritten?.Invoke(written.Count);
        }
        return written;
    }

    /// <summary>Deletes a document's chunks (the search index learns of it from the change log the chunks table's triggers write).</summary>
    private static async Task<List<long>> RemoveChunksAsync(SqliteTransaction transaction, long documentKey, CancellationToken cancellationToken)
    {
        var chunks = new List<long>();
        await using (var select = Command(transaction, "SELECT rowid FROM chunks WHERE doc_key = @key"))
        {
            select.Parameters.AddWithValue("@key", documentKey);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                chunks.Add(reader.GetInt64(0));
            }
        }
        await using (var deleteChunks = Command(transaction, "DELETE FROM chunks WHERE doc_key = @key"))
        {
            deleteChunks.Parameters.AddWithValue("@key", documentKey);
            await deleteChunks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return chunks;
    }

    /// <summary>Keeps the chunk count (N of the IDF) current and bumps the generation other store instances watch.</summary>
    private static async Task RecordChangeAsync(SqliteTransaction transaction, int chunkDelta, CancellationToken cancellationToken)
    {
        await using var update = Command(transaction, $"""
            UPDATE meta SET value = CAST(value AS INTEGER) + @delta WHERE key = '{StoreSchema.ChunkCountKey}';
            UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = '{StoreSchema.GenerationKey}';
            """);
        update.Parameters.AddWithValue("@delta", chunkDelta);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WidenWeightRangeAsync(SqliteTransaction transaction, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken)
    {
        var values = chunks.SelectMany(c => c.Sparse.Values).ToList();
        if (values.Count == 0)
        {
            return;
        }
        await using var update = Command(transaction, $"""
            UPDATE meta SET value = MAX(CAST(value AS REAL), @max) WHERE key = '{StoreSchema.MaxWeightKey}';
            UPDATE meta SET value = MIN(CAST(value AS REAL), @min) WHERE key = '{StoreSchema.MinWeightKey}';
            """);
        update.Parameters.AddWithValue("@max", (double)values.Max());
        update.Parameters.AddWithValue("@min", (double)values.Min());
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SqliteCommand Command(SqliteTransaction transaction, string sql)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}

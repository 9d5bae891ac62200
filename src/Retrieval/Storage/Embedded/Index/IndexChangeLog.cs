using System.Globalization;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>A chunk removed or changed by a committed write, with its lexical weights as they were.</summary>
internal readonly record struct LoggedChange(long Sequence, long ChunkRowId, SparseVector SparseAsStored);

/// <summary>A chunk row as the search index reads it.</summary>
internal sealed record ChunkVectorRow(long ChunkRowId, long DocumentKey, float[] Vector, SparseVector Sparse);

/// <summary>
/// The change log that lets a store instance catch up with writes made by another one (another
/// process, or another instance in this one) without reloading: triggers on the chunks table log
/// every deleted or re-vectored chunk row (with its old lexical weights) in the same transaction
/// as the write, whoever writes. New chunks need no log: chunk rowids only grow (AUTOINCREMENT),
/// so rows after the last one seen are the new ones. The log and the store id live in tables of
/// their own, created on first search; they are derived data like the index file, and the store
/// schema does not change. Entries the newest index file already covers are pruned.
/// </summary>
internal static class IndexChangeLog
{
    private const string StoreIdKey = "store_id";
    private const string PrunedThroughKey = "pruned_through";

    private const string Install = """
        CREATE TABLE IF NOT EXISTS search_index_state (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS search_index_changes (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            chunk_rowid INTEGER NOT NULL,
            sparse      BLOB NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS search_index_chunk_deleted AFTER DELETE ON chunks
        BEGIN
            INSERT INTO search_index_changes (chunk_rowid, sparse) VALUES (old.rowid, old.sparse);
        END;
        CREATE TRIGGER IF NOT EXISTS search_index_chunk_changed AFTER UPDATE OF vector, sparse, doc_key ON chunks
        BEGIN
            INSERT INTO search_index_changes (chunk_rowid, sparse) VALUES (old.rowid, old.sparse);
        END;
        """;

    private static readonly string[] Objects = ["search_index_state", "search_index_changes", "search_index_chunk_deleted", "search_index_chunk_changed"];

    /// <summary>Whether the log tables and both triggers exist (a store rebuilt without them must not be caught up from the log).</summary>
    public static async Task<bool> IsInstalledAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            $"SELECT COUNT(*) FROM sqlite_master WHERE name IN ({string.Join(", ", Objects.Select(o => $"'{o}'"))})");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == Objects.Length;
    }

    /// <summary>Creates the log, gives the store its id and empties the old postings table (one write transaction, done once per store file).</summary>
    public static async Task InstallAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var create = Command(connection, transaction, Install))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var seed = Command(connection, transaction, "INSERT OR IGNORE INTO search_index_state (key, value) VALUES (@idKey, @id), (@prunedKey, '0')"))
        {
            seed.Parameters.AddWithValue("@idKey", StoreIdKey);
            seed.Parameters.AddWithValue("@id", Guid.NewGuid().ToString("D"));
            seed.Parameters.AddWithValue("@prunedKey", PrunedThroughKey);
            await seed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // Files written before the search index existed hold postings rows nothing reads any more: a
        // DELETE without WHERE frees their pages at once (SQLite's truncate optimisation), for new rows.
        await using (var clear = Command(connection, transaction, "DELETE FROM postings"))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store's id, the last pruned sequence, and the last logged one.</summary>
    public static async Task<(Guid StoreId, long PrunedThrough, long LastSequence)> ReadStateAsync(
        SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"""
            SELECT
                (SELECT value FROM search_index_state WHERE key = '{StoreIdKey}'),
                (SELECT CAST(value AS INTEGER) FROM search_index_state WHERE key = '{PrunedThroughKey}'),
                (SELECT seq FROM sqlite_sequence WHERE name = 'search_index_changes')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (
            Guid.Parse(reader.GetString(0)),
            reader.IsDBNull(1) ? 0 : reader.GetInt64(1),
            reader.IsDBNull(2) ? 0 : reader.GetInt64(2));
    }

    public static async Task<List<LoggedChange>> ReadChangesAsync(
        SqliteConnection connection, SqliteTransaction transaction, long afterSequence, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT seq, chunk_rowid, sparse FROM search_index_changes WHERE seq > @after ORDER BY seq");
        command.Parameters.AddWithValue("@after", afterSequence);
        var changes = new List<LoggedChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            changes.Add(new LoggedChange(reader.GetInt64(0), reader.GetInt64(1), BlobCodec.DecodeSparse((byte[])reader.GetValue(2))));
        }
        return changes;
    }

    /// <summary>Deletes the entries up to <paramref name="throughSequence"/> (an index file covers them) and records that it did.</summary>
    public static async Task PruneAsync(SqliteConnection connection, long throughSequence, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var prune = Command(connection, transaction, $"""
            DELETE FROM search_index_changes WHERE seq <= @through;
            UPDATE search_index_state SET value = CAST(MAX(CAST(value AS INTEGER), @through) AS TEXT) WHERE key = '{PrunedThroughKey}';
            """))
        {
            prune.Parameters.AddWithValue("@through", throughSequence);
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Chunk rows after <paramref name="afterRowId"/>, plus the listed older ones that still exist, in rowid order.</summary>
    public static async Task<List<ChunkVectorRow>> ReadChunksAsync(
        SqliteConnection connection, SqliteTransaction transaction, int dimensions, long afterRowId, IReadOnlyCollection<long> alsoRowIds, CancellationToken cancellationToken)
    {
        var rows = new List<ChunkVectorRow>();
        // Row ids are integers we produced, so inlining them is safe.
        var also = alsoRowIds.Count == 0 ? "" : $" OR rowid IN ({string.Join(", ", alsoRowIds.Select(id => id.ToString(CultureInfo.InvariantCulture)))})";
        await using var command = Command(connection, transaction, $"SELECT rowid, doc_key, vector, sparse FROM chunks WHERE rowid > @after{also} ORDER BY rowid");
        command.Parameters.AddWithValue("@after", afterRowId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var vector = (byte[])reader.GetValue(2);
            CheckVector(connection, reader.GetInt64(0), vector.Length, dimensions);
            rows.Add(new ChunkVectorRow(reader.GetInt64(0), reader.GetInt64(1), BlobCodec.DecodeVector(vector), BlobCodec.DecodeSparse((byte[])reader.GetValue(3))));
        }
        return rows;
    }

    /// <summary>A vector blob of the wrong size means a damaged store: say so rather than index garbage.</summary>
    public static void CheckVector(SqliteConnection connection, long chunkRowId, long bytes, int dimensions)
    {
        if (bytes != (long)dimensions * sizeof(float))
        {
            throw new KnowledgeStoreException(
                $"The store '{connection.DataSource}' is damaged: chunk row {chunkRowId} has a {bytes}-byte vector where {dimensions} dimensions " +
                $"need {dimensions * sizeof(float)}. Delete the file and ingest again.");
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}

using KnowledgeQa.Retrieval.Storage.Embedded.Index;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// The repair of the embedded store. kqa's own writes are single transactions with foreign keys
/// on, so what a repair finds comes from outside: a crash that damaged the file, or a tool that
/// edited it without foreign keys (the sqlite3 shell's default), which leaves chunks without a
/// document (searchable, listed nowhere) or documents without their chunks (read as unchanged
/// and never written again). The search index is derived data: a stale or foreign index file is
/// removed and rebuilt.
/// </summary>
public sealed partial class EmbeddedKnowledgeStore : IRepairableStore
{
    private const string OrphanChunks = "FROM chunks WHERE doc_key NOT IN (SELECT doc_key FROM documents)";
    private const string OrphanTags = "FROM document_tags WHERE doc_key NOT IN (SELECT doc_key FROM documents)";
    private const string MiscountedDocuments =
        "FROM documents d WHERE d.chunk_count <> (SELECT COUNT(*) FROM chunks c WHERE c.doc_key = d.doc_key)";

    public async Task<StoreRepairReport> RepairAsync(StoreRepairOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new StoreRepairOptions();
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        var store = $"embedded store {_path}";
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var damage = await QuickCheckAsync(connection, cancellationToken).ConfigureAwait(false);
            var integrity = new StoreRepairFinding(
                "integrity", "SQLite's integrity check (damaged pages, broken indexes)", damage.Count, 0, Repairable: false,
                damage.Count == 0 ? null : $"the store file is damaged ({damage[0]}): restore '{_path}' from a backup, or ingest again into a new store (another --data folder)");
            if (damage.Count > 0)
            {
                // Deleting rows from a damaged file can make it worse: report, change nothing.
                return new StoreRepairReport(store, options.DryRun, [integrity], []);
            }

            var findings = new List<StoreRepairFinding> { integrity };
            await using (var transaction = connection.BeginTransaction())
            {
                findings.Add(await RepairRowsAsync(connection, transaction, "orphan-chunks", "chunks whose document record is gone (searchable but listed nowhere)",
                    OrphanChunks, $"DELETE {OrphanChunks}", options.DryRun, cancellationToken).ConfigureAwait(false));
                findings.Add(await RepairRowsAsync(connection, transaction, "orphan-tags", "tags of documents that are gone",
                    OrphanTags, $"DELETE {OrphanTags}", options.DryRun, cancellationToken).ConfigureAwait(false));
                // The real count goes in, and the content hash and file fingerprint go, so the next
                // ingest of the file sees a change and writes the document whole again.
                findings.Add(await RepairRowsAsync(connection, transaction, "missing-chunks", "documents whose chunks are not all there (they would read as unchanged and never be written again)",
                    MiscountedDocuments,
                    $"UPDATE documents SET chunk_count = (SELECT COUNT(*) FROM chunks c WHERE c.doc_key = documents.doc_key), content_hash = '', file_fingerprint = NULL WHERE doc_key IN (SELECT d.doc_key {MiscountedDocuments})",
                    options.DryRun, cancellationToken).ConfigureAwait(false));
                findings.Add(await RepairChunkTotalAsync(connection, transaction, options.DryRun, cancellationToken).ConfigureAwait(false));
                if (!options.DryRun)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            findings.Add(await RepairIndexAsync(connection, options.DryRun, cancellationToken).ConfigureAwait(false));
            return new StoreRepairReport(store, options.DryRun, findings, []);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static async Task<List<string>> QuickCheckAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var line = reader.GetString(0);
            if (line != "ok")
            {
                problems.Add(line);
            }
        }
        return problems;
    }

    private static async Task<StoreRepairFinding> RepairRowsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string check, string description, string rows, string repair, bool dryRun, CancellationToken cancellationToken)
    {
        await using var count = connection.CreateCommand();
        count.Transaction = transaction;
        count.CommandText = $"SELECT COUNT(*) {rows}";
        var found = checked((int)(long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        var repaired = 0;
        if (found > 0 && !dryRun)
        {
            await using var fix = connection.CreateCommand();
            fix.Transaction = transaction;
            fix.CommandText = repair;
            repaired = await fix.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return new StoreRepairFinding(check, description, found, repaired);
    }

    /// <summary>
    /// The store's running chunk total (statistics, and the search index's consistency check) against
    /// the chunks that belong to a document; edits from outside leave it off.
    /// </summary>
    private static async Task<StoreRepairFinding> RepairChunkTotalAsync(SqliteConnection connection, SqliteTransaction transaction, bool dryRun, CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = $"""
            SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{StoreSchema.ChunkCountKey}'),
                   (SELECT COUNT(*) FROM chunks WHERE doc_key IN (SELECT doc_key FROM documents))
            """;
        long recorded, actual;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            recorded = reader.IsDBNull(0) ? -1 : reader.GetInt64(0);
            actual = reader.GetInt64(1);
        }
        var found = recorded == actual ? 0 : 1;
        if (found == 1 && !dryRun)
        {
            await using var fix = connection.CreateCommand();
            fix.Transaction = transaction;
            fix.CommandText = $"INSERT OR REPLACE INTO meta (key, value) VALUES ('{StoreSchema.ChunkCountKey}', @actual)";
            fix.Parameters.AddWithValue("@actual", actual.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await fix.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return new StoreRepairFinding("chunk-total", "the store's recorded chunk total (statistics) against the chunks it holds", found, dryRun ? 0 : found);
    }

    /// <summary>
    /// Leftover temporary index files, and an index file that cannot be read or belongs to another
    /// store file (the store was replaced), are removed; then the index is brought up to date, which
    /// rebuilds it when it disagrees with the store.
    /// </summary>
    private async Task<StoreRepairFinding> RepairIndexAsync(SqliteConnection connection, bool dryRun, CancellationToken cancellationToken)
    {
        var indexPath = _search.IndexPath;
        var stale = Directory.EnumerateFiles(System.IO.Path.GetDirectoryName(indexPath)!, System.IO.Path.GetFileName(indexPath) + ".*.tmp").ToList();
        if (File.Exists(indexPath) && !await IndexFileBelongsHereAsync(connection, indexPath, cancellationToken).ConfigureAwait(false))
        {
            stale.Add(indexPath);
        }

        var repaired = 0;
        if (!dryRun)
        {
            foreach (var file in stale)
            {
                try
                {
                    File.Delete(file);
                    repaired++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Held open by another process (Windows); the index host skips such a file anyway.
                }
            }
            if (_dimensions > 0)
            {
                var before = Volatile.Read(ref _search.Statistics.Inconsistencies);
                await _search.EnsureCurrentAsync(connection, _dimensions, cancellationToken).ConfigureAwait(false);
                if (Volatile.Read(ref _search.Statistics.Inconsistencies) > before)
                {
                    // The index disagreed with the store (typically after the rows above were fixed outside its view) and was rebuilt.
                    stale.Add(indexPath);
                    repaired++;
                }
            }
        }
        return new StoreRepairFinding("search-index", "stale, foreign or leftover search index files (derived data, rebuilt from the store)", stale.Count, repaired,
            Advice: repaired < stale.Count && !dryRun ? $"some index files could not be deleted: stop the processes using the store and delete {indexPath}* by hand" : null);
    }

    /// <summary>Whether the index file is readable and was built from this store file (the same store id).</summary>
    private static async Task<bool> IndexFileBelongsHereAsync(SqliteConnection connection, string indexPath, CancellationToken cancellationToken)
    {
        using var file = IndexFile.TryOpen(indexPath);
        if (file is null)
        {
            return !BitConverter.IsLittleEndian; // such machines never read the file; it is not stale for them
        }
        if (!await IndexChangeLog.IsInstalledAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            return false; // a file without the log it was built against
        }
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var (storeId, _, _) = await IndexChangeLog.ReadStateAsync(connection, snapshot, cancellationToken).ConfigureAwait(false);
        return file.Header.StoreId == storeId;
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// What keeps the embedded store in step with folders: vectors found by chunk text, source
/// bindings, remembered failures; plus the schema migration and the translation of SQLite's
/// full and busy errors into errors a user can act on.
/// </summary>
public sealed partial class EmbeddedKnowledgeStore
{
    // Hashes per statement: well under SQLite's limits, and one round trip for most documents.
    private const int HashesPerQuery = 500;

    public async Task<IReadOnlyDictionary<string, ReadOnlyMemory<float>>> FindVectorsAsync(
        IReadOnlyCollection<string> textHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(textHashes);
        var found = new Dictionary<string, ReadOnlyMemory<float>>(StringComparer.Ordinal);
        if (textHashes.Count == 0)
        {
            return found;
        }
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in textHashes.Distinct(StringComparer.Ordinal).Chunk(HashesPerQuery))
        {
            // Live chunks first; the cache of deleted chunks only for what they lack.
            await ReadVectorsAsync(connection, "chunks", batch, found, cancellationToken).ConfigureAwait(false);
            var missing = batch.Where(h => !found.ContainsKey(h)).ToArray();
            if (missing.Length > 0)
            {
                await ReadVectorsAsync(connection, "vector_cache", missing, found, cancellationToken).ConfigureAwait(false);
            }
        }
        return found;
    }

    private async Task ReadVectorsAsync(
        SqliteConnection connection, string table, IReadOnlyCollection<string> hashes, Dictionary<string, ReadOnlyMemory<float>> found, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        // The chunks table is indexed by the hashes' keys (StoreSchema version 3); the small vector cache by the hashes themselves.
        command.CommandText = table == "chunks"
            ? "SELECT text_hash, vector FROM chunks WHERE text_key IN (SELECT value FROM json_each(@keys)) AND text_hash IN (SELECT value FROM json_each(@hashes))"
            : $"SELECT text_hash, vector FROM {table} WHERE text_hash IN (SELECT value FROM json_each(@hashes))";
        command.Parameters.AddWithValue("@hashes", JsonSerializer.Serialize(hashes));
        if (table == "chunks")
        {
            command.Parameters.AddWithValue("@keys", JsonSerializer.Serialize(hashes.Select(RowKeys.Of)));
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var hash = reader.GetString(0);
            if (found.ContainsKey(hash))
            {
                continue;
            }
            var vector = BlobCodec.DecodeVector((byte[])reader.GetValue(1));
            // A vector of another size cannot come from this store's model: never hand it out.
            if (_dimensions == 0 || vector.Length == _dimensions)
            {
                found[hash] = vector;
            }
        }
    }

    public async Task<SourceBinding?> GetSourceAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadSourceAsync(connection, null, name, cancellationToken).ConfigureAwait(false);
    }

    public async Task<SourceBinding> BindSourceAsync(SourceBinding source, bool replace = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(source.Name);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        return await WriteRecordsAsync(async transaction =>
        {
            // Read and write in one write transaction: two processes binding one name agree on the winner.
            var existing = await ReadSourceAsync(transaction.Connection!, transaction, source.Name, cancellationToken).ConfigureAwait(false);
            if (existing is not null && (!replace || existing.SameTarget(source)))
            {
                return existing;
            }
            var bound = source with { BoundAt = source.BoundAt == default ? DateTimeOffset.UtcNow : source.BoundAt };
            await using var upsert = Command(transaction, """
                INSERT INTO sources (name, kind, root, bound_at) VALUES (@name, @kind, @root, @at)
                ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, root = excluded.root, bound_at = excluded.bound_at
                """);
            upsert.Parameters.AddWithValue("@name", bound.Name);
            upsert.Parameters.AddWithValue("@kind", FormatKind(bound.Kind));
            upsert.Parameters.AddWithValue("@root", (object?)bound.Root ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@at", RowMapping.FormatTime(bound.BoundAt));
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return bound;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<SourceBinding> ListSourcesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, kind, root, bound_at FROM sources ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadSource(reader);
        }
    }

    public async Task<bool> RemoveSourceAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        return await WriteRecordsAsync(async transaction =>
        {
            await using var failures = Command(transaction, "DELETE FROM ingest_failures WHERE source_name = @name");
            failures.Parameters.AddWithValue("@name", name);
            await failures.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var delete = Command(transaction, "DELETE FROM sources WHERE name = @name");
            delete.Parameters.AddWithValue("@name", name);
            return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<IngestFailure>> ListFailuresAsync(string? sourceName, CancellationToken cancellationToken = default)
    {
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT document_id, source_name, path, file_hash, reason, failed_at FROM ingest_failures
            WHERE source_name IS @source ORDER BY document_id
            """;
        command.Parameters.AddWithValue("@source", (object?)sourceName ?? DBNull.Value);
        var failures = new List<IngestFailure>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            failures.Add(new IngestFailure(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
            {
                FailedAt = RowMapping.ParseTime(reader.GetString(5)),
            });
        }
        return failures;
    }

    public async Task RecordFailureAsync(IngestFailure failure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(failure);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await WriteRecordsAsync(async transaction =>
        {
            await using var upsert = Command(transaction, """
                INSERT OR REPLACE INTO ingest_failures (document_id, source_name, path, file_hash, reason, failed_at)
                VALUES (@id, @source, @path, @hash, @reason, @at)
                """);
            upsert.Parameters.AddWithValue("@id", failure.DocumentId);
            upsert.Parameters.AddWithValue("@source", (object?)failure.SourceName ?? DBNull.Value);
            upsert.Parameters.AddWithValue("@path", failure.Path);
            upsert.Parameters.AddWithValue("@hash", failure.FileHash);
            upsert.Parameters.AddWithValue("@reason", failure.Reason);
            upsert.Parameters.AddWithValue("@at", RowMapping.FormatTime(failure.FailedAt == default ? DateTimeOffset.UtcNow : failure.FailedAt));
            return await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> ClearFailureAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        return await WriteRecordsAsync(async transaction =>
        {
            await using var delete = Command(transaction, "DELETE FROM ingest_failures WHERE document_id = @id");
            delete.Parameters.AddWithValue("@id", documentId);
            return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A write of records beside the documents (sources, failures): one transaction, serialised with
    /// document writes, with the same busy retry and error translation, but no chunk changes, so
    /// the dense index and the generation stay as they are.
    /// </summary>
    private async Task<T> WriteRecordsAsync<T>(Func<SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunWithStoreErrorsAsync(async () =>
            {
                await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var result = await write(transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="attempt"/>, retrying with backoff while another process holds the lock
    /// (each attempt already waits <see cref="BusyRetry.AttemptTimeoutSeconds"/> inside SQLite), and
    /// turns a full disk or a lock held too long into typed errors that say what to do.
    /// </summary>
    private async Task<T> RunWithStoreErrorsAsync<T>(Func<Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (var tried = 1; ; tried++)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (SqliteException e) when (BusyRetry.IsBusy(e) && tried < BusyRetry.Attempts)
            {
                await Task.Delay(BusyRetry.Backoff(tried), cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException e) when (BusyRetry.IsBusy(e))
            {
                var holders = StoreLockHolders.Describe(_path);
                throw new StoreBusyException(
                    $"The store '{_path}' is locked by another process{(holders is null ? "" : $" ({holders})")} and stayed locked for " +
                    $"{_options.BusyTimeout.TotalSeconds:0} s: let that process finish (or stop it), then run again.",
                    TimeSpan.FromSeconds(Math.Max(1, BusyRetry.AttemptTimeoutSeconds(_options.BusyTimeout))), e);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SqliteFull)
            {
                throw new StoreFullException(DescribeFull(), _path, e);
            }
        }
    }

    private string DescribeFull()
    {
        var folder = System.IO.Path.GetDirectoryName(_path) ?? _path;
        // With a size limit set and room left on the disk, the limit is what was hit.
        if (_options.MaxSizeBytes is { } limit && (FreeBytes(folder) ?? long.MaxValue) >= 1024 * 1024)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The store '{_path}' reached its size limit ({limit:N0} bytes, Store:MaxSizeBytes): raise the limit or delete documents. ") +
                "What was written before this document is kept.";
        }
        return $"The disk that holds the store '{_path}' is full: free space in '{folder}' (or move the store with --data), then run again. " +
               "What was written before this document is kept.";
    }

    private const int SqliteFull = 13;

    private static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Per connection: the text-hash function the migration uses, and the size limit.</summary>
    private async Task PrepareConnectionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        connection.CreateFunction(StoreSchema.TextHashFunction, (string text) => ChunkTextHash.Compute(text), isDeterministic: true);
        connection.CreateFunction(StoreSchema.KeyFunction, (string value) => RowKeys.Of(value), isDeterministic: true);
        if (_options.MaxSizeBytes is not { } limit)
        {
            return;
        }
        await using var pageSize = connection.CreateCommand();
        pageSize.CommandText = "PRAGMA page_size";
        var bytesPerPage = Convert.ToInt64(await pageSize.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        await using var maxPages = connection.CreateCommand();
        maxPages.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA max_page_count = {Math.Max(1, limit / Math.Max(512, bytesPerPage))}");
        await maxPages.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Upgrades an older file in place, in one write transaction (another process may be doing the same).</summary>
    private static async Task MigrateAsync(SqliteConnection connection, long version, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        version = await ReadMetaNumberAsync(connection, StoreSchema.SchemaVersionKey, cancellationToken, transaction).ConfigureAwait(false);
        if (version is < 1 or > StoreSchema.Version)
        {
            throw new KnowledgeStoreException($"The store file has schema version {version}, which this KnowledgeQa cannot upgrade: ingest into a new store.");
        }
        // Each step brings the file one version further, all in this one transaction.
        foreach (var step in new[] { StoreSchema.MigrateFromVersion1, StoreSchema.MigrateFromVersion2 }[(int)(version - 1)..])
        {
            await using var migrate = Command(transaction, step);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<SourceBinding?> ReadSourceAsync(SqliteConnection connection, SqliteTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name, kind, root, bound_at FROM sources WHERE name = @name";
        command.Parameters.AddWithValue("@name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSource(reader) : null;
    }

    private static SourceBinding ReadSource(SqliteDataReader reader) =>
        new(reader.GetString(0), ParseKind(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2))
        {
            BoundAt = RowMapping.ParseTime(reader.GetString(3)),
        };

    private static string FormatKind(SourceKind kind) => kind == SourceKind.Folder ? "folder" : "upload";

    private static SourceKind ParseKind(string kind) => kind == "folder" ? SourceKind.Folder : SourceKind.Upload;

    private static SqliteCommand Command(SqliteTransaction transaction, string sql) => DocumentWriter.Command(transaction, sql);
}

using System.Globalization;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>Counters of what the search index did (tests and the store benchmark read them).</summary>
internal sealed class SearchIndexStatistics
{
    /// <summary>Index files built (on a search, or in the background).</summary>
    public int FilesBuilt;
    /// <summary>Index files opened that were built earlier (by this process or another).</summary>
    public int FilesOpened;
    /// <summary>Loads of every chunk into memory (stores too small for a file, or a file that could not be written).</summary>
    public int FullLoads;
    /// <summary>Incremental catch-ups with committed writes.</summary>
    public int CatchUps;
    /// <summary>Chunk rows read by catch-ups.</summary>
    public long ChunksCaughtUp;
    /// <summary>Change-log entries applied by catch-ups.</summary>
    public long ChangesCaughtUp;
    /// <summary>Times the index disagreed with the store's chunk count and was rebuilt.</summary>
    public int Inconsistencies;
    /// <summary>The last background rebuild's failure, if any (the index keeps serving from memory).</summary>
    public Exception? LastRebuildError;
}

/// <summary>
/// Keeps a store instance's <see cref="SearchIndex"/> in step with the SQLite file. Every search
/// first compares the store's generation with the index's; when another write has committed
/// (here or in another process), the index catches up from the change log and the new chunk rows
/// inside one read transaction, so it always mirrors one committed state and never reloads for a
/// small write. The index file is opened (or built, once per store) on first use; when the chunks
/// outside it grow past a share of it, a new file is built in the background and swapped in, while
/// searches go on with the old one. Several processes share one file: builds take a lock file,
/// and an instance that finds a newer file than its own switches to it.
/// </summary>
internal sealed class SearchIndexHost : IDisposable
{
    private readonly string _indexPath;
    private readonly Func<CancellationToken, Task<SqliteConnection>> _openConnection;
    private readonly SearchIndexOptions _options;
    // One load, catch-up or swap at a time.
    private readonly SemaphoreSlim _gate = new(1, 1);
    // Many searches, or one change being applied.
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly CancellationTokenSource _disposing = new();
    private SearchIndex? _index;
    private Guid _storeId;
    private bool _distrustFile;
    // Set when a new index file was written: the next search switches to it.
    private volatile bool _newerFile;
    private Task? _rebuild;
    private bool _disposed;

    public SearchIndexHost(string storePath, Func<CancellationToken, Task<SqliteConnection>> openConnection, SearchIndexOptions options)
    {
        _indexPath = storePath + ".search";
        _openConnection = openConnection;
        _options = options;
    }

    /// <summary>The index file next to the store file (derived data: deleting it only costs a rebuild).</summary>
    public string IndexPath => _indexPath;

    public SearchIndexStatistics Statistics { get; } = new();

    /// <summary>The background rebuild in progress, if any (tests wait for it).</summary>
    public Task? PendingRebuild => Volatile.Read(ref _rebuild);

    /// <summary>Brings the index up to the store's committed state; <paramref name="connection"/> reads the generation.</summary>
    public async Task EnsureCurrentAsync(SqliteConnection connection, int dimensions, CancellationToken cancellationToken)
    {
        if (!_newerFile && IsAt(await ReadGenerationAsync(connection, null, cancellationToken).ConfigureAwait(false)))
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var acceptInconsistency = false;
            for (var attempt = 0; ; attempt++)
            {
                var outcome = await TryBringUpToDateAsync(dimensions, acceptInconsistency, cancellationToken).ConfigureAwait(false);
                if (outcome == Outcome.Current)
                {
                    break;
                }
                // A second disagreement after rebuilding from the SQLite file is the store's own count being off: go with the index.
                acceptInconsistency |= outcome == Outcome.Inconsistent;
                if (attempt == 10)
                {
                    throw new KnowledgeStoreException($"The search index of '{_indexPath}' could not be brought up to date with the store: it kept changing or disagreeing. Delete '{_indexPath}' and search again.");
                }
            }
        }
        finally
        {
            _gate.Release();
        }
        await RebuildIfDueAsync(dimensions).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="read"/> on the current index under the read lock (no awaits inside).</summary>
    public T Read<T>(Func<SearchIndex, T> read)
    {
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_index is null, this);
            return read(_index);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _disposing.Cancel();
        try
        {
            _rebuild?.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Recorded in Statistics; nothing left to do with it on the way out.
        }
        Swap(null);
        _disposing.Dispose();
    }

    private enum Outcome
    {
        Current,
        /// <summary>Try again with a new snapshot (the log was just installed, or a file newer than the snapshot turned up).</summary>
        Retry,
        /// <summary>The index disagreed with the store's chunk count and was dropped.</summary>
        Inconsistent,
    }

    private async Task<Outcome> TryBringUpToDateAsync(int dimensions, bool acceptInconsistency, CancellationToken cancellationToken)
    {
        await using var connection = await _openConnection(cancellationToken).ConfigureAwait(false);
        if (!await IndexChangeLog.IsInstalledAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            // Changes made before the log existed were never logged: whatever is in memory cannot be caught up.
            await IndexChangeLog.InstallAsync(connection, cancellationToken).ConfigureAwait(false);
            Swap(null);
            return Outcome.Retry;
        }
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var generation = await ReadGenerationAsync(connection, snapshot, cancellationToken).ConfigureAwait(false);
        if (IsAt(generation) && !_newerFile)
        {
            return Outcome.Current;
        }
        var (storeId, prunedThrough, lastSequence) = await IndexChangeLog.ReadStateAsync(connection, snapshot, cancellationToken).ConfigureAwait(false);
        var chunkCount = await ReadChunkCountAsync(connection, snapshot, cancellationToken).ConfigureAwait(false);
        var current = _index;
        if (current is null || _newerFile || storeId != _storeId || current.SeenChangeSequence < prunedThrough || current.Dimensions != dimensions)
        {
            _storeId = storeId;
            _newerFile = false;
            var loaded = await LoadAsync(snapshot, dimensions, prunedThrough, lastSequence, chunkCount, cancellationToken).ConfigureAwait(false);
            if (loaded is null)
            {
                return Outcome.Retry;
            }
            if (current is not null && !ReferenceEquals(current, _index))
            {
                current.Dispose();
            }
            current = loaded;
        }
        else
        {
            var changes = await IndexChangeLog.ReadChangesAsync(connection, snapshot, current.SeenChangeSequence, cancellationToken).ConfigureAwait(false);
            var rows = await ReadRowsAfterAsync(snapshot, dimensions, current, changes, cancellationToken).ConfigureAwait(false);
            _lock.EnterWriteLock();
            try
            {
                Apply(current, changes, rows, lastSequence);
            }
            finally
            {
                _lock.ExitWriteLock();
            }
            Interlocked.Increment(ref Statistics.CatchUps);
            Interlocked.Add(ref Statistics.ChunksCaughtUp, rows.Count);
            Interlocked.Add(ref Statistics.ChangesCaughtUp, changes.Count);
        }
        current.Generation = generation;

        if (chunkCount is { } expected && current.LiveChunks != expected && !acceptInconsistency)
        {
            // The index missed a change (a store edited without the log's triggers, a stale file): start over from the SQLite file.
            Interlocked.Increment(ref Statistics.Inconsistencies);
            _distrustFile = true;
            if (ReferenceEquals(current, _index))
            {
                Swap(null);
            }
            else
            {
                current.Dispose();
            }
            return Outcome.Inconsistent;
        }
        Swap(current);
        return Outcome.Current;
    }

    /// <summary>
    /// A fresh index for the snapshot: the index file when it belongs to this store and can be
    /// caught up cheaply, else a new file (stores big enough for one), else every chunk in memory.
    /// Null when the snapshot is too old for what is on disk (retry with a new snapshot).
    /// </summary>
    private async Task<SearchIndex?> LoadAsync(SqliteTransaction snapshot, int dimensions, long prunedThrough, long lastSequence, long? chunkCount, CancellationToken cancellationToken)
    {
        var connection = snapshot.Connection!;
        if (!_distrustFile && IndexFile.TryOpen(_indexPath) is { } file)
        {
            var header = file.Header;
            if (header.StoreId != _storeId || header.Dimensions != dimensions || header.ChangeSequence < prunedThrough)
            {
                // Another store's file (the store file was replaced or re-created), or one too old to catch up from the log.
                file.Dispose();
                if (header.StoreId != _storeId)
                {
                    TryDelete(_indexPath);
                }
            }
            else if (header.ChangeSequence > lastSequence)
            {
                file.Dispose();
                return null;
            }
            else
            {
                var index = new SearchIndex(dimensions, file, _options);
                var pending = await CountChunksAfterAsync(snapshot, header.MaxChunkRowId, cancellationToken).ConfigureAwait(false) + (lastSequence - header.ChangeSequence);
                if (pending < RebuildThreshold(header.Rows))
                {
                    var changes = await IndexChangeLog.ReadChangesAsync(connection, snapshot, index.SeenChangeSequence, cancellationToken).ConfigureAwait(false);
                    var rows = await ReadRowsAfterAsync(snapshot, dimensions, index, changes, cancellationToken).ConfigureAwait(false);
                    Apply(index, changes, rows, lastSequence);
                    Interlocked.Increment(ref Statistics.FilesOpened);
                    return index;
                }
                // So far behind that building anew is cheaper than holding the difference in memory.
                index.Dispose();
            }
        }

        var live = chunkCount ?? await CountChunksAfterAsync(snapshot, 0, cancellationToken).ConfigureAwait(false);
        if (live >= _options.MinimumFileRows && BitConverter.IsLittleEndian)
        {
            using var buildLock = await BuildLock.AcquireAsync(_indexPath + ".lock", TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
            if (buildLock is { Waited: true })
            {
                // Another process was building: its file is probably newer than this snapshot.
                return null;
            }
            if (buildLock is not null && await TryBuildAsync(snapshot, dimensions, lastSequence, cancellationToken).ConfigureAwait(false) is { } built)
            {
                _distrustFile = false;
                Interlocked.Increment(ref Statistics.FilesBuilt);
                await PruneAsync(lastSequence, cancellationToken).ConfigureAwait(false);
                return new SearchIndex(dimensions, built, _options);
            }
        }

        var everything = new SearchIndex(dimensions, null, _options);
        var all = await IndexChangeLog.ReadChunksAsync(connection, snapshot, dimensions, 0, [], cancellationToken).ConfigureAwait(false);
        Apply(everything, [], all, lastSequence);
        _distrustFile = false;
        Interlocked.Increment(ref Statistics.FullLoads);
        return everything;
    }

    /// <summary>Builds the index file from the snapshot (the caller holds the build lock) and opens it; null when it could not be written.</summary>
    private async Task<IndexFile?> TryBuildAsync(SqliteTransaction snapshot, int dimensions, long lastSequence, CancellationToken cancellationToken)
    {
        var temporary = $"{_indexPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            await IndexFileBuilder.BuildAsync(snapshot, dimensions, _storeId, lastSequence, temporary, _indexPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only folder or a full disk: search still works, from memory.
            TryDelete(temporary);
            return null;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        var file = IndexFile.TryOpen(_indexPath);
        if (file is not null && (file.Header.StoreId != _storeId || file.Header.ChangeSequence != lastSequence))
        {
            file.Dispose();
            return null;
        }
        return file;
    }

    private async Task RebuildIfDueAsync(int dimensions)
    {
        bool due;
        _lock.EnterReadLock();
        try
        {
            due = _index is { } index && (index.File is null
                ? index.LiveChunks >= _options.MinimumFileRows && BitConverter.IsLittleEndian
                : index.RecentChunks + index.DeletedFromFile >= RebuildThreshold(index.FileRows));
        }
        finally
        {
            _lock.ExitReadLock();
        }
        if (!due || _disposed || _rebuild is { IsCompleted: false })
        {
            return;
        }
        if (_options.RebuildInBackground)
        {
            _rebuild = Task.Run(() => RebuildAsync(dimensions, _disposing.Token));
        }
        else
        {
            await RebuildAsync(dimensions, _disposing.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Builds a new file from a fresh snapshot; searches keep using the current index until the next one switches to the new file.</summary>
    private async Task RebuildAsync(int dimensions, CancellationToken cancellationToken)
    {
        try
        {
            long builtAt;
            await using (var connection = await _openConnection(cancellationToken).ConfigureAwait(false))
            {
                using var buildLock = await BuildLock.AcquireAsync(_indexPath + ".lock", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                if (buildLock is null)
                {
                    // Another process is building one; this instance switches to it once the log moves past it.
                    return;
                }
                await using var snapshot = connection.BeginTransaction(deferred: true);
                var (storeId, _, lastSequence) = await IndexChangeLog.ReadStateAsync(connection, snapshot, cancellationToken).ConfigureAwait(false);
                if (storeId != _storeId)
                {
                    return;
                }
                var temporary = $"{_indexPath}.{Guid.NewGuid():N}.tmp";
                try
                {
                    await IndexFileBuilder.BuildAsync(snapshot, dimensions, storeId, lastSequence, temporary, _indexPath, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    TryDelete(temporary);
                    throw;
                }
                builtAt = lastSequence;
            }
            Interlocked.Increment(ref Statistics.FilesBuilt);
            _newerFile = true;
            await PruneAsync(builtAt, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed while building.
        }
        catch (Exception e)
        {
            Statistics.LastRebuildError = e;
        }
    }

    private long RebuildThreshold(int fileRows) => Math.Max(_options.RebuildMinimumRows, (long)(_options.RebuildFraction * fileRows));

    private static void Apply(SearchIndex index, List<LoggedChange> changes, List<ChunkVectorRow> rows, long lastSequence)
    {
        foreach (var change in changes)
        {
            index.Remove(change.ChunkRowId, change.SparseAsStored);
        }
        foreach (var row in rows)
        {
            index.Add(row.ChunkRowId, row.DocumentKey, row.Vector, row.Sparse);
            index.SeenChunkRowId = Math.Max(index.SeenChunkRowId, row.ChunkRowId);
        }
        index.SeenChangeSequence = Math.Max(index.SeenChangeSequence, lastSequence);
    }

    /// <summary>New chunk rows, and the rows changed in place (logged, but older than the last seen rowid) as they are now.</summary>
    private static Task<List<ChunkVectorRow>> ReadRowsAfterAsync(SqliteTransaction snapshot, int dimensions, SearchIndex index, List<LoggedChange> changes, CancellationToken cancellationToken)
    {
        var changedInPlace = changes.Select(c => c.ChunkRowId).Where(id => id <= index.SeenChunkRowId).ToHashSet();
        return IndexChangeLog.ReadChunksAsync(snapshot.Connection!, snapshot, dimensions, index.SeenChunkRowId, changedInPlace, cancellationToken);
    }

    private async Task PruneAsync(long throughSequence, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _openConnection(cancellationToken).ConfigureAwait(false);
            await IndexChangeLog.PruneAsync(connection, throughSequence, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            // Busy or read-only: the log is pruned by the next build.
        }
    }

    private bool IsAt(long generation)
    {
        _lock.EnterReadLock();
        try
        {
            return _index is not null && _index.Generation == generation;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private void Swap(SearchIndex? index)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!ReferenceEquals(_index, index))
            {
                _index?.Dispose();
                _index = index;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static async Task<long> ReadGenerationAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{StoreSchema.GenerationKey}'";
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long value ? value : 0;
    }

    /// <summary>The store's own count of chunks (null if it keeps none).</summary>
    private static async Task<long?> ReadChunkCountAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{StoreSchema.ChunkCountKey}'";
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
    }

    private static async Task<long> CountChunksAfterAsync(SqliteTransaction snapshot, long afterRowId, CancellationToken cancellationToken)
    {
        await using var command = snapshot.Connection!.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = "SELECT COUNT(*) FROM chunks WHERE rowid > @after";
        command.Parameters.AddWithValue("@after", afterRowId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is harmless; the next build writes another name.
        }
    }
}

/// <summary>A lock file held while an index file is built, so processes on one store do not build it twice at once.</summary>
internal sealed class BuildLock : IDisposable
{
    private readonly FileStream _stream;

    private BuildLock(FileStream stream, bool waited)
    {
        _stream = stream;
        Waited = waited;
    }

    /// <summary>Whether another holder had it first (so there may be a newer index file now).</summary>
    public bool Waited { get; }

    /// <summary>Takes the lock, waiting up to <paramref name="wait"/>; null when another holder kept it, or the folder is not writable.</summary>
    public static async Task<BuildLock?> AcquireAsync(string path, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        var waited = false;
        while (true)
        {
            try
            {
                return new BuildLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose), waited);
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                waited = true;
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}

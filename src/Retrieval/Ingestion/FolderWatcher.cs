using System.Runtime.CompilerServices;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>How <see cref="FolderWatcher"/> turns file events into syncs.</summary>
public sealed record FolderWatchOptions
{
    /// <summary>A sync starts once no file event has come for this long (a burst of saves is one sync).</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>...or at the latest this long after the first event of a burst that does not stop.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A full sync this often even without events: the safety net for events the operating system
    /// dropped (watch buffers overflow, network file systems report nothing).
    /// </summary>
    public TimeSpan Rescan { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Why a watched folder was synced.</summary>
public enum WatchTrigger
{
    Start,
    Changes,
    Rescan,
}

/// <summary>One sync of a watched folder: its summary, or the error that stopped it (the watch goes on).</summary>
public sealed record FolderSyncResult(string Folder, WatchTrigger Trigger, IngestionSummary? Summary, KnowledgeQaException? Error);

/// <summary>
/// Keeps the store in step with folders while they change: a sync of each folder at the start,
/// then another whenever files are created, changed, renamed or deleted under it (debounced), and
/// a full rescan every <see cref="FolderWatchOptions.Rescan"/>. Each sync is an ordinary folder
/// ingest (unchanged files are not read again; renames reuse vectors; deleted files are removed),
/// so nothing depends on interpreting individual events correctly.
/// </summary>
public sealed class FolderWatcher(IngestionPipeline pipeline, FolderWatchOptions? options = null, TimeProvider? time = null)
{
    private readonly FolderWatchOptions _options = options ?? new FolderWatchOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Syncs and watches <paramref name="folders"/> until <paramref name="cancellationToken"/> is cancelled, yielding every sync.</summary>
    public async IAsyncEnumerable<FolderSyncResult> WatchAsync(
        IReadOnlyList<string> folders, IngestionOptions? ingestion = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folders);
        ingestion ??= new IngestionOptions();
        var wake = new SemaphoreSlim(0);
        var includeHidden = ingestion.Discovery.IncludeHidden;
        var watched = folders.Select(f => new WatchedFolder(Path.GetFullPath(f), _options, _time, wake, includeHidden)).ToList();
        try
        {
            foreach (var folder in watched)
            {
                folder.Start();
                yield return await SyncAsync(folder, WatchTrigger.Start, ingestion, cancellationToken).ConfigureAwait(false);
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                var due = watched.Select(f => (Folder: f, Due: f.DueAt(now))).MinBy(d => d.Due);
                if (due.Due > now)
                {
                    using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var timer = Task.Delay(due.Due - now, _time, delay.Token);
                    await Task.WhenAny(timer, wake.WaitAsync(delay.Token)).ConfigureAwait(false);
                    await delay.CancelAsync().ConfigureAwait(false);
                    continue;
                }
                var trigger = due.Folder.TakeTrigger(now);
                yield return await SyncAsync(due.Folder, trigger, ingestion, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var folder in watched)
                folder.Dispose();
        }
    }

    private async Task<FolderSyncResult> SyncAsync(WatchedFolder folder, WatchTrigger trigger, IngestionOptions ingestion, CancellationToken cancellationToken)
    {
        folder.Synced(_time.GetUtcNow());
        try
        {
            var summary = await pipeline.IngestAsync([folder.Path], ingestion, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new FolderSyncResult(folder.Path, trigger, summary, null);
        }
        catch (IngestionStoppedException e)
        {
            return new FolderSyncResult(folder.Path, trigger, e.Summary, e);
        }
        catch (KnowledgeQaException e)
        {
            return new FolderSyncResult(folder.Path, trigger, null, e);
        }
    }

    /// <summary>One folder: its file system watcher, the debounce of its events and its rescan time.</summary>
    private sealed class WatchedFolder(string path, FolderWatchOptions options, TimeProvider time, SemaphoreSlim wake, bool includeHidden) : IDisposable
    {
        private readonly ChangeDebouncer _changes = new(options.Quiet, options.MaxDelay);
        private FileSystemWatcher? _watcher;
        private DateTimeOffset _nextRescan = DateTimeOffset.MaxValue;

        public string Path { get; } = path;

        public void Start()
        {
            try
            {
                _watcher = new FileSystemWatcher(Path)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                    InternalBufferSize = 64 * 1024,
                };
                _watcher.Created += (_, e) => Changed(e.FullPath);
                _watcher.Changed += (_, e) => Changed(e.FullPath);
                _watcher.Deleted += (_, e) => Changed(e.FullPath);
                _watcher.Renamed += (_, e) => { Changed(e.OldFullPath); Changed(e.FullPath); };
                // A lost event (buffer overflow) or a lost folder: sync to find out what happened.
                _watcher.Error += (_, _) => Changed(null);
                _watcher.EnableRaisingEvents = true;
            }
            catch (Exception e) when (e is ArgumentException or IOException or PlatformNotSupportedException)
            {
                // No events here (a missing folder, no watch support): the rescan still keeps it in step.
                _watcher?.Dispose();
                _watcher = null;
            }
        }

        public DateTimeOffset DueAt(DateTimeOffset now)
        {
            var changes = _changes.DueAt;
            return changes is { } due && due < _nextRescan ? due : _nextRescan;
        }

        public WatchTrigger TakeTrigger(DateTimeOffset now) => _changes.DueAt is { } due && due <= now ? WatchTrigger.Changes : WatchTrigger.Rescan;

        /// <summary>A sync starts now: events from here on call for the next one.</summary>
        public void Synced(DateTimeOffset now)
        {
            _changes.Reset();
            _nextRescan = now + options.Rescan;
        }

        private void Changed(string? changedPath)
        {
            // Hidden files are not ingested, and a store kept inside the folder (.kqa) must not wake it.
            if (changedPath is not null && !includeHidden && IsHidden(changedPath))
                return;
            _changes.Notice(time.GetUtcNow());
            wake.Release();
        }

        private bool IsHidden(string changedPath) =>
            System.IO.Path.GetRelativePath(Path, changedPath).Split('/', '\\').Any(segment => segment.StartsWith('.') && segment is not (".." or "."));

        public void Dispose() => _watcher?.Dispose();
    }
}

/// <summary>
/// When a burst of file events should lead to a sync: once the events have been quiet for a while,
/// or after a longest delay from the first event (so an endless stream of writes still syncs).
/// </summary>
public sealed class ChangeDebouncer(TimeSpan quiet, TimeSpan maxDelay)
{
    private readonly object _lock = new();
    private DateTimeOffset? _first;
    private DateTimeOffset? _last;

    public void Notice(DateTimeOffset now)
    {
        lock (_lock)
        {
            _first ??= now;
            _last = now;
        }
    }

    /// <summary>When the pending changes should be synced; null when there are none.</summary>
    public DateTimeOffset? DueAt
    {
        get
        {
            lock (_lock)
            {
                if (_first is not { } first || _last is not { } last)
                    return null;
                var afterQuiet = last + quiet;
                var latest = first + maxDelay;
                return afterQuiet < latest ? afterQuiet : latest;
            }
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _first = null;
            _last = null;
        }
    }
}

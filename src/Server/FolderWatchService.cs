using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server;

/// <summary>The folders a server keeps in step with its store (kqa serve --watch DIR).</summary>
public sealed record WatchedFolders(IReadOnlyList<string> Folders, FolderWatchOptions Options, IngestionOptions Ingestion);

/// <summary>
/// Runs a <see cref="FolderWatcher"/> beside the server: each folder is synced at start and again
/// when its files change, and every sync is logged. A folder that cannot be synced is logged as an
/// error and retried at the next change or rescan; the server keeps serving.
/// </summary>
public sealed class FolderWatchService(WatchedFolders watched, IngestionPipeline pipeline, ILogger<FolderWatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (watched.Folders.Count == 0)
            return;
        // Let the server start listening first; the first sync of a large folder takes a while.
        await Task.Yield();
        logger.LogInformation("Watching {Folders} for changes", string.Join(", ", watched.Folders));
        try
        {
            await foreach (var sync in new FolderWatcher(pipeline, watched.Options).WatchAsync(watched.Folders, watched.Ingestion, stoppingToken))
                Log(sync);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Log(FolderSyncResult sync)
    {
        if (sync.Error is not null)
            logger.LogError("Syncing {Folder} failed: {Error}", sync.Folder, sync.Error.Message);
        if (sync.Summary is { } s && (sync.Trigger == WatchTrigger.Start || s.Added + s.Replaced + s.Removed + s.Failed > 0))
            logger.LogInformation(
                "Synced {Folder} ({Trigger}): {Added} added, {Replaced} replaced, {Unchanged} unchanged, {Removed} removed, {Failed} failed, {Embedded} chunks embedded",
                sync.Folder, sync.Trigger, s.Added, s.Replaced, s.Unchanged, s.Removed, s.Failed, s.EmbeddedChunks);
    }
}

public static class FolderWatchServiceExtensions
{
    /// <summary>Keeps <paramref name="folders"/> in step with the store while the host runs.</summary>
    public static IServiceCollection AddKnowledgeQaFolderWatch(
        this IServiceCollection services, IEnumerable<string> folders, FolderWatchOptions? options = null, IngestionOptions? ingestion = null)
    {
        services.AddSingleton(new WatchedFolders([.. folders], options ?? new FolderWatchOptions(), ingestion ?? new IngestionOptions()));
        services.AddHostedService<FolderWatchService>();
        return services;
    }
}

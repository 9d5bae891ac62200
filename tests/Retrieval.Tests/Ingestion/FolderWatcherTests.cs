using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Tests.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Ingestion;

/// <summary>The watch keeps the store in step with a real folder while files are created, changed, renamed and deleted.</summary>
public sealed class FolderWatcherTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Creations_changes_renames_and_deletions_reach_the_store()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        bed.Write("docs/a.md", "Alpha about brakes.");
        bed.Write("docs/b.md", "Beta about tyres.");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var watcher = new FolderWatcher(bed.Pipeline, new FolderWatchOptions { Quiet = TimeSpan.FromMilliseconds(300), MaxDelay = TimeSpan.FromSeconds(3) });
        var syncs = watcher.WatchAsync([bed.PathOf("docs")], cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);

        var start = await NextAsync(syncs);
        Assert.Equal(WatchTrigger.Start, start.Trigger);
        Assert.Equal(2, start.Summary!.Added);

        bed.Write("docs/c.md", "Gamma about lights.");
        await UntilAsync(syncs, bed, ids => ids.Contains("docs/c.md"));

        bed.Write("docs/a.md", "Alpha about brakes, and now about the chain too.");
        await UntilAsync(syncs, bed, async () =>
            (await bed.Store.ReadChunksAsync("docs/a.md", Ct).ToListAsync(Ct)).Single().Chunk.Text.Contains("chain"));

        File.Move(bed.PathOf("docs/b.md"), bed.PathOf("docs/renamed.md"));
        await UntilAsync(syncs, bed, ids => ids.Contains("docs/renamed.md") && !ids.Contains("docs/b.md"));

        File.Delete(bed.PathOf("docs/c.md"));
        Directory.CreateDirectory(bed.PathOf("docs/sub"));
        File.Move(bed.PathOf("docs/a.md"), bed.PathOf("docs/sub/a.md"));
        await UntilAsync(syncs, bed, ids => ids.SequenceEqual(["docs/renamed.md", "docs/sub/a.md"]));

        // Cancelling ends the watch (the enumeration ends, or says it was cancelled).
        await stop.CancelAsync();
        try
        {
            Assert.False(await syncs.MoveNextAsync());
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task A_burst_of_saves_is_one_sync()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        bed.Write("docs/a.md", "Alpha.");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        // A quiet period far longer than the burst takes, so the burst cannot be split.
        var watcher = new FolderWatcher(bed.Pipeline, new FolderWatchOptions { Quiet = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(30) });
        var syncs = watcher.WatchAsync([bed.PathOf("docs")], cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
        await NextAsync(syncs);

        for (var i = 0; i < 20; i++)
            bed.Write("docs/a.md", $"Alpha, saved {i} times.");
        bed.Write("docs/b.md", "Beta.");

        var sync = await NextAsync(syncs);
        Assert.Equal(WatchTrigger.Changes, sync.Trigger);
        Assert.Equal((1, 1), (sync.Summary!.Added, sync.Summary.Replaced));
        Assert.Contains("saved 19 times", (await bed.Store.ReadChunksAsync("docs/a.md", Ct).ToListAsync(Ct)).Single().Chunk.Text);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task Changes_to_hidden_files_such_as_a_store_kept_inside_the_folder_do_not_wake_it()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        bed.Write("docs/a.md", "Alpha.");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var watcher = new FolderWatcher(bed.Pipeline, new FolderWatchOptions { Quiet = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1) });
        var syncs = watcher.WatchAsync([bed.PathOf("docs")], cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
        await NextAsync(syncs);

        bed.Write("docs/.kqa/knowledge.db-wal", "noise");
        bed.Write("docs/visible.md", "Visible.");

        var sync = await NextAsync(syncs);
        Assert.Equal(1, sync.Summary!.Added);
        // Only the visible change caused a sync: nothing else is pending.
        var next = syncs.MoveNextAsync().AsTask();
        Assert.NotSame(next, await Task.WhenAny(next, Task.Delay(1500, Ct)));
        await stop.CancelAsync();
    }

    [Fact]
    public void The_debouncer_waits_for_quiet_but_not_past_the_longest_delay()
    {
        var debouncer = new ChangeDebouncer(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Null(debouncer.DueAt);

        debouncer.Notice(t0);
        Assert.Equal(t0.AddSeconds(1), debouncer.DueAt);
        debouncer.Notice(t0.AddSeconds(0.5));
        Assert.Equal(t0.AddSeconds(1.5), debouncer.DueAt);
        for (var s = 1.0; s <= 6; s += 0.5)
            debouncer.Notice(t0.AddSeconds(s));
        Assert.Equal(t0.AddSeconds(5), debouncer.DueAt);

        debouncer.Reset();
        Assert.Null(debouncer.DueAt);
    }

    private static async Task<FolderSyncResult> NextAsync(IAsyncEnumerator<FolderSyncResult> syncs)
    {
        Assert.True(await syncs.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(2), Ct));
        Assert.Null(syncs.Current.Error);
        return syncs.Current;
    }

    private static Task UntilAsync(IAsyncEnumerator<FolderSyncResult> syncs, IngestionTestBed bed, Func<List<string>, bool> condition) =>
        UntilAsync(syncs, bed, async () => condition(await bed.IdsAsync()));

    /// <summary>Takes syncs until the store shows the change (an event may be split over two syncs).</summary>
    private static async Task UntilAsync(IAsyncEnumerator<FolderSyncResult> syncs, IngestionTestBed bed, Func<Task<bool>> condition)
    {
        for (var i = 0; i < 5; i++)
        {
            await NextAsync(syncs);
            if (await condition())
                return;
        }
        Assert.Fail($"the store never showed the change; it holds {string.Join(", ", await bed.IdsAsync())}");
    }
}

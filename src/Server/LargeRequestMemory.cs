using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server;

/// <summary>
/// Hands memory back to the operating system after a request that needed large buffers (an upload of
/// many megabytes: the file's text, a parsed page, a document's chunks). The garbage collector frees
/// such buffers only at its next full collection and keeps the freed heap committed for reuse; an idle
/// server allocates too little to trigger one, so a single 49 MB upload once kept kqa serve at 2.3 times
/// its idle memory indefinitely. After such a request has been answered, one aggressive collection
/// (blocking, compacting the large-object heap, decommitting what is free) runs in the background;
/// requests that end close together share one, and on Linux the C heap's free pages go back too
/// (malloc_trim). Small requests never trigger it: a full blocking collection costs a pause in
/// proportion to the live heap, worth it only after large garbage.
/// </summary>
public sealed class LargeRequestMemory(ServerSettings settings, ILogger<LargeRequestMemory> logger)
{
    /// <summary>How long after the response the collection waits, so the request's own buffers (form files, streams) are released first.</summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private int _scheduled;
    private int _collections;

    /// <summary>Compacting collections run so far (for tests and diagnostics).</summary>
    public int Collections => Volatile.Read(ref _collections);

    /// <summary>Schedules a compacting collection once <paramref name="response"/> has been sent, when the request handled at least <see cref="ServerSettings.CompactMemoryAfterBytes"/>.</summary>
    public void After(HttpResponse response, long requestBytes)
    {
        if (settings.CompactMemoryAfterBytes <= 0 || requestBytes < settings.CompactMemoryAfterBytes)
            return;
        response.OnCompleted(() =>
        {
            Schedule();
            return Task.CompletedTask;
        });
    }

    private void Schedule()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 1)
            return; // one is already on its way and will cover this request too
        _ = Task.Run(async () =>
        {
            await Task.Delay(Settle).ConfigureAwait(false);
            Volatile.Write(ref _scheduled, 0);
            var before = Environment.WorkingSet;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            TrimNativeHeap();
            Interlocked.Increment(ref _collections);
            logger.LogDebug("Compacted the heap after a large request: working set {Before} MB -> {After} MB",
                before / (1024 * 1024), Environment.WorkingSet / (1024 * 1024));
        });
    }

    /// <summary>
    /// glibc keeps freed C-heap pages (SQLite's, ONNX Runtime's small allocations) for reuse; measured
    /// after a 40 MB upload, trimming gave back 18 MB. Other C libraries (musl) have no such call.
    /// </summary>
    private static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}

using System.Threading.Channels;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// A document read and chunked, waiting for the vectors it lacks. Vectors found in the store (or
/// embedded earlier in the run) are filled in already; <see cref="Missing"/> lists the chunks the
/// model must embed.
/// </summary>
internal sealed class PendingDocument(PreparedDocument prepared, ReadOnlyMemory<float>[] vectors, int[] missing)
{
    private int _remaining = missing.Length;

    public PreparedDocument Prepared { get; } = prepared;

    public ReadOnlyMemory<float>[] Vectors { get; } = vectors;

    public int[] Missing { get; } = missing;

    /// <summary>How many of <see cref="Missing"/> the scheduler has put into batches (only the scheduler touches it).</summary>
    public int Assigned { get; set; }

    public int Unassigned => Missing.Length - Assigned;

    private int _embedded;
    private int _shared;

    /// <summary>Chunks the model embedded for this document (a text equal to another one in the same batch is counted once, there).</summary>
    public int Embedded => Volatile.Read(ref _embedded);

    /// <summary>Missing chunks that got the vector of an equal text embedded for another chunk of the same batch.</summary>
    public int Shared => Volatile.Read(ref _shared);

    /// <summary>
    /// Records <paramref name="embedded"/> chunks embedded for this document and <paramref name="shared"/>
    /// that took an equal text's vector; true for the call that completes the document.
    /// </summary>
    public bool MarkEmbedded(int embedded, int shared)
    {
        Interlocked.Add(ref _embedded, embedded);
        Interlocked.Add(ref _shared, shared);
        return Interlocked.Add(ref _remaining, -(embedded + shared)) == 0;
    }
}

/// <summary>One chunk of one document in an embedding batch.</summary>
internal readonly record struct BatchItem(PendingDocument Document, int ChunkIndex);

/// <summary>
/// Builds embedding batches out of the documents waiting for vectors, so that small documents are
/// written as soon as their chunks are embedded instead of waiting behind a large one, and a large
/// one still moves forward with every batch:
/// <list type="number">
/// <item>the oldest waiting document gets a quarter of the batch (so it always progresses);</item>
/// <item>every document whose remaining chunks fit whole goes in next, oldest first;</item>
/// <item>what room is left is filled with chunks of the oldest documents.</item>
/// </list>
/// Batches are built when an embedding worker asks for one (not ahead of time), from every document
/// read by then.
/// </summary>
internal sealed class EmbeddingScheduler(ChannelReader<PendingDocument> prepared, int batchSize)
{
    private readonly List<PendingDocument> _window = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The next batch, or null when every document has been handed out and no more will come.</summary>
    public async Task<IReadOnlyList<BatchItem>?> NextBatchAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                while (prepared.TryRead(out var document))
                    _window.Add(document);
                if (_window.Count > 0)
                    return Plan(_window, batchSize);
                if (!await prepared.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    return null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes the next batch out of <paramref name="window"/> (documents in arrival order) and drops the documents fully handed out.</summary>
    public static IReadOnlyList<BatchItem> Plan(List<PendingDocument> window, int batchSize)
    {
        batchSize = Math.Max(1, batchSize);
        var batch = new List<BatchItem>(batchSize);
        void Take(PendingDocument document, int count)
        {
            for (var i = 0; i < count; i++)
                batch.Add(new BatchItem(document, document.Missing[document.Assigned++]));
        }

        if (window.FirstOrDefault(d => d.Unassigned > 0) is { } oldest)
            Take(oldest, Math.Min(oldest.Unassigned, Math.Max(1, batchSize / 4)));
        foreach (var document in window)
        {
            if (document.Unassigned > 0 && document.Unassigned <= batchSize - batch.Count)
                Take(document, document.Unassigned);
        }
        foreach (var document in window)
        {
            if (batch.Count == batchSize)
                break;
            Take(document, Math.Min(document.Unassigned, batchSize - batch.Count));
        }
        window.RemoveAll(d => d.Unassigned == 0);
        return batch;
    }
}

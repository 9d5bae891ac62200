using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Diagnostics;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>A document ready to write once it has all its vectors.</summary>
internal sealed record PreparedDocument(string Path, StoredDocument Record, IReadOnlyList<Chunk> Chunks, SparseVector[] Sparse, SourceContext Context)
{
    public int Position { get; init; }

    /// <summary>Chunks whose vectors were found (store or this run) rather than embedded.</summary>
    public int Reused { get; init; }
}

/// <summary>A file or document of the run: its size (for the progress estimate) and how to prepare it.</summary>
internal sealed record WorkItem(long Bytes, Func<VectorReuse, CancellationToken, Task<WorkOutcome>> Prepare);

/// <summary>Either a document waiting for vectors, or the file's final result (skipped, unchanged, failed).</summary>
internal sealed record WorkOutcome(PendingDocument? Pending, IngestionFileResult? Result)
{
    public static WorkOutcome Done(IngestionFileResult result) => new(null, result);
}

/// <summary>
/// Finds vectors a document need not embed: those embedded earlier in this run, then those the
/// store already holds for the same chunk text (any document, any earlier run).
/// </summary>
internal sealed class VectorReuse(IKnowledgeStore store)
{
    // Enough to cover documents read ahead of the store's writes; bounded so a huge run does not grow without end.
    private const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<string, ReadOnlyMemory<float>> _embedded = new(StringComparer.Ordinal);

    public void Remember(string textHash, ReadOnlyMemory<float> vector)
    {
        if (_embedded.Count < MaxRemembered)
            _embedded.TryAdd(textHash, vector);
    }

    public bool TryGet(string textHash, out ReadOnlyMemory<float> vector) => _embedded.TryGetValue(textHash, out vector);

    public async Task<PendingDocument> FillAsync(PreparedDocument document, CancellationToken cancellationToken)
    {
        var hashes = document.Chunks.Select(c => ChunkTextHash.Compute(c.Text)).ToArray();
        var vectors = new ReadOnlyMemory<float>[hashes.Length];
        var wanted = new List<string>();
        for (var i = 0; i < hashes.Length; i++)
        {
            if (TryGet(hashes[i], out var vector))
                vectors[i] = vector;
            else
                wanted.Add(hashes[i]);
        }
        if (wanted.Count > 0)
        {
            var stored = await store.FindVectorsAsync(wanted, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < hashes.Length; i++)
            {
                if (vectors[i].IsEmpty && stored.TryGetValue(hashes[i], out var vector))
                    vectors[i] = vector;
            }
        }
        var missing = Enumerable.Range(0, hashes.Length).Where(i => vectors[i].IsEmpty).ToArray();
        return new PendingDocument(document with { Reused = hashes.Length - missing.Length }, vectors, missing);
    }
}

/// <summary>
/// The concurrent part of an ingest: one producer reads and prepares files in order (bounded read
/// ahead), embedding workers take batches from <see cref="EmbeddingScheduler"/>, and one writer
/// stores each document as soon as its last vector arrives. A store that runs out of space or stays
/// locked stops the run cleanly with what was written so far (<see cref="IngestionStoppedException"/>).
/// </summary>
internal sealed class IngestionRun(
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IKnowledgeStore store,
    IngestionOptions options,
    IProgress<IngestionProgress>? progress,
    Action<int>? afterPrepared)
{
    private KnowledgeStoreException? _stopError;

    public async Task<IngestionFileResult?[]> RunAsync(IReadOnlyList<WorkItem> works, CancellationToken cancellationToken)
    {
        var results = new IngestionFileResult?[works.Count];
        var tracker = new ProgressTracker(works.Count, works.Sum(w => w.Bytes), results, progress);
        var reuse = new VectorReuse(store);
        var prepared = Channel.CreateBounded<PendingDocument>(new BoundedChannelOptions(Math.Max(1, options.ReadAhead)) { SingleWriter = true });
        var ready = Channel.CreateUnbounded<PendingDocument>(new UnboundedChannelOptions { SingleReader = true });
        var scheduler = new EmbeddingScheduler(prepared.Reader, options.EmbeddingBatchSize);

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var producer = Task.Run(() => ProduceAsync(works, reuse, prepared.Writer, ready.Writer, tracker, linked), token);
        var workers = Enumerable.Range(0, Math.Max(1, options.EmbeddingParallelism))
            .Select(_ => Task.Run(() => EmbedAsync(scheduler, reuse, ready.Writer, tracker, token), token))
            .ToList();
        var embedding = Task.WhenAll(workers).ContinueWith(t =>
        {
            ready.Writer.TryComplete(t.Exception?.InnerException);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var writer = Task.Run(() => WriteAsync(ready.Reader, tracker, linked), token);

        try
        {
            await Task.WhenAll([producer, .. workers, writer]).ConfigureAwait(false);
        }
        catch (Exception) when (_stopError is not null)
        {
            await embedding.ConfigureAwait(false);
            var done = results.Where(r => r is not null).Select(r => r!).ToList();
            throw new IngestionStoppedException(new IngestionSummary(done) { Unfinished = works.Count - done.Count }, _stopError);
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            throw;
        }
        await embedding.ConfigureAwait(false);
        return results;
    }

    private async Task ProduceAsync(
        IReadOnlyList<WorkItem> works, VectorReuse reuse, ChannelWriter<PendingDocument> prepared, ChannelWriter<PendingDocument> ready,
        ProgressTracker tracker, CancellationTokenSource linked)
    {
        try
        {
            for (var position = 0; position < works.Count; position++)
            {
                WorkOutcome outcome;
                // Read, fingerprint, chunk and find reusable vectors for one document; its write is the "store.write" span of the writer.
                using (var documentActivity = IngestionPipeline.ActivitySource.StartActivity("ingest.document"))
                {
                    try
                    {
                        outcome = await works[position].Prepare(reuse, linked.Token).ConfigureAwait(false);
                    }
                    catch (KnowledgeStoreException e) when (e is StoreFullException or StoreBusyException)
                    {
                        documentActivity?.SetStatus(ActivityStatusCode.Error, e.Message);
                        await StopAsync(e, linked).ConfigureAwait(false);
                        return;
                    }
                    if (documentActivity is not null)
                        RetrievalTelemetry.TagDocument(documentActivity, outcome.Pending?.Prepared.Record.Id, outcome.Result, outcome.Pending?.Prepared.Chunks.Count ?? 0);
                }
                afterPrepared?.Invoke(position);
                if (outcome.Pending is { } pending)
                {
                    pending = new PendingDocument(pending.Prepared with { Position = position }, pending.Vectors, pending.Missing);
                    tracker.Prepared(works[position].Bytes, pending.Missing.Length);
                    // A document with every vector already known goes straight to the writer.
                    if (pending.Missing.Length == 0)
                        await ready.WriteAsync(pending, linked.Token).ConfigureAwait(false);
                    else
                        await prepared.WriteAsync(pending, linked.Token).ConfigureAwait(false);
                }
                else
                {
                    tracker.Prepared(works[position].Bytes, 0);
                    tracker.Finished(position, outcome.Result!);
                }
            }
        }
        finally
        {
            prepared.TryComplete();
        }
    }

    private async Task EmbedAsync(EmbeddingScheduler scheduler, VectorReuse reuse, ChannelWriter<PendingDocument> ready, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        while (await scheduler.NextBatchAsync(cancellationToken).ConfigureAwait(false) is { } batch)
        {
            // Equal texts in one batch are embedded once; a text another batch embedded after this
            // document was prepared (a slow worker lets the reader run ahead) is not embedded again.
            var texts = new List<string>();
            var hashes = new List<string>();
            var slot = new Dictionary<string, int>(StringComparer.Ordinal);
            var slots = new int[batch.Count];
            var first = new bool[batch.Count];
            var known = new ReadOnlyMemory<float>[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var text = batch[i].Document.Prepared.Chunks[batch[i].ChunkIndex].Text;
                if (slot.TryGetValue(text, out var index))
                {
                    slots[i] = index;
                    continue;
                }
                var hash = ChunkTextHash.Compute(text);
                if (reuse.TryGet(hash, out known[i]))
                {
                    slots[i] = -1;
                    continue;
                }
                index = texts.Count;
                slot[text] = index;
                texts.Add(text);
                hashes.Add(hash);
                first[i] = true;
                slots[i] = index;
            }

            GeneratedEmbeddings<Embedding<float>> vectors = [];
            var embedStarted = Stopwatch.GetTimestamp();
            if (texts.Count > 0)
            {
                using (IngestionPipeline.ActivitySource.StartActivity("embed")?.SetTag("kqa.chunks", texts.Count).SetTag("kqa.documents", batch.Select(b => b.Document).Distinct().Count()))
                    vectors = await embedder.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (vectors.Count != texts.Count)
                    throw new EmbeddingModelException($"The embedding model returned {vectors.Count} vectors for {texts.Count} texts.");
            }

            var embedElapsed = Stopwatch.GetElapsedTime(embedStarted);
            for (var i = 0; i < texts.Count; i++)
                reuse.Remember(hashes[i], vectors[i].Vector);
            // After the vectors are remembered: documents being prepared now should find them, not wait behind the metrics.
            if (texts.Count > 0)
                RetrievalTelemetry.RecordEmbedding(texts.Count, embedElapsed);
            tracker.Embedded(texts.Count);

            var completed = new List<PendingDocument>();
            foreach (var group in batch.Select((item, i) => (item, i)).GroupBy(x => x.item.Document))
            {
                foreach (var (item, i) in group)
                    group.Key.Vectors[item.ChunkIndex] = slots[i] < 0 ? known[i] : vectors[slots[i]].Vector;
                var embeddedHere = group.Count(x => first[x.i]);
                if (group.Key.MarkEmbedded(embeddedHere, group.Count() - embeddedHere))
                    completed.Add(group.Key);
            }
            foreach (var document in completed)
                await ready.WriteAsync(document, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes the documents that are ready, all those waiting at once (up to <see cref="WriteBatchChunks"/>
    /// chunks) in one batch write: a store that writes a batch in one transaction (the embedded one)
    /// pays its per-write costs once per batch. A document is never held back waiting for others.
    /// </summary>
    private async Task WriteAsync(ChannelReader<PendingDocument> ready, ProgressTracker tracker, CancellationTokenSource linked)
    {
        var batch = new List<PendingDocument>();
        while (await ready.WaitToReadAsync(linked.Token).ConfigureAwait(false))
        {
            batch.Clear();
            var chunks = 0;
            while (chunks < WriteBatchChunks && ready.TryRead(out var pending))
            {
                batch.Add(pending);
                chunks += pending.Prepared.Chunks.Count;
            }
            if (!await WriteBatchAsync(batch, tracker, linked).ConfigureAwait(false))
                return;
        }
    }

    /// <summary>Chunks one batch write takes at most (the documents ready beyond it go in the next).</summary>
    internal const int WriteBatchChunks = 4096;

    /// <summary>Writes one batch and reports each document; false when the store is full or busy and the run stops.</summary>
    private async Task<bool> WriteBatchAsync(List<PendingDocument> batch, ProgressTracker tracker, CancellationTokenSource linked)
    {
        // A span per document, as when documents were written one by one; each covers the batch write that holds it.
        // Each starts below the run's span: starting one makes it the current activity, so the next would nest in it.
        var parent = Activity.Current;
        var activities = batch.Select(_ =>
        {
            var activity = IngestionPipeline.ActivitySource.StartActivity("store.write");
            Activity.Current = parent;
            return activity;
        }).ToList();
        try
        {
            var upserts = batch.ConvertAll(pending => new DocumentUpsert(pending.Prepared.Record with { IngestedAt = DateTimeOffset.UtcNow }, Indexed(pending)));
            IReadOnlyList<DocumentUpsertResult> written;
            try
            {
                written = await store.UpsertDocumentsAsync(upserts, linked.Token).ConfigureAwait(false);
            }
            catch (KnowledgeStoreException e) when (e is StoreFullException or StoreBusyException)
            {
                activities.ForEach(a => a?.SetStatus(ActivityStatusCode.Error, e.Message));
                await StopAsync(e, linked).ConfigureAwait(false);
                return false;
            }
            catch (KnowledgeStoreException) when (!linked.IsCancellationRequested && upserts.Count > 1)
            {
                // The store refused the batch as a whole: write the documents one at a time, so only the one at fault fails.
                written = await WriteOneByOneAsync(upserts, linked).ConfigureAwait(false);
            }
            catch (KnowledgeStoreException e) when (!linked.IsCancellationRequested)
            {
                written = [new DocumentUpsertResult(upserts[0].Document.Id, null, e)];
            }
            for (var i = 0; i < batch.Count; i++)
            {
                var document = batch[i].Prepared;
                var result = Report(batch[i], written[i]);
                if (result.Outcome != IngestionOutcome.Failed && document.Context.Failures.ContainsKey(document.Record.Id))
                    await store.ClearFailureAsync(document.Record.Id, linked.Token).ConfigureAwait(false);
                RetrievalTelemetry.TagDocument(activities[i], document.Record.Id, result);
                tracker.Finished(document.Position, result);
            }
            return true;
        }
        finally
        {
            activities.ForEach(a => a?.Dispose());
        }
    }

    private async Task<IReadOnlyList<DocumentUpsertResult>> WriteOneByOneAsync(List<DocumentUpsert> upserts, CancellationTokenSource linked)
    {
        var results = new List<DocumentUpsertResult>(upserts.Count);
        foreach (var upsert in upserts)
        {
            try
            {
                results.Add(new DocumentUpsertResult(upsert.Document.Id, await store.UpsertDocumentAsync(upsert.Document, upsert.Chunks, linked.Token).ConfigureAwait(false), null));
            }
            catch (KnowledgeStoreException e) when (e is not StoreFullException and not StoreBusyException && !linked.IsCancellationRequested)
            {
                // A store that refuses one document (too large a payload, say) must not stop the batch.
                results.Add(new DocumentUpsertResult(upsert.Document.Id, null, e));
            }
        }
        return results;
    }

    private static IndexedChunk[] Indexed(PendingDocument pending)
    {
        var document = pending.Prepared;
        var indexed = new IndexedChunk[document.Chunks.Count];
        for (var i = 0; i < indexed.Length; i++)
            indexed[i] = new IndexedChunk(document.Chunks[i], pending.Vectors[i], document.Sparse[i]);
        return indexed;
    }

    private static IngestionFileResult Report(PendingDocument pending, DocumentUpsertResult written)
    {
        var document = pending.Prepared;
        return written.Result is { } outcome
            ? new IngestionFileResult(document.Path, document.Record.Id, Outcome(outcome), document.Chunks.Count)
            {
                EmbeddedChunks = pending.Embedded,
                ReusedChunks = document.Reused + pending.Shared,
                SourceName = document.Record.SourceName,
            }
            : new IngestionFileResult(document.Path, document.Record.Id, IngestionOutcome.Failed, 0, written.Error?.Message)
            {
                EmbeddedChunks = pending.Embedded,
                SourceName = document.Record.SourceName,
            };
    }

    private static IngestionOutcome Outcome(DocumentWriteResult written) => written switch
    {
        DocumentWriteResult.Added => IngestionOutcome.Added,
        DocumentWriteResult.Replaced => IngestionOutcome.Replaced,
        _ => IngestionOutcome.Unchanged,
    };

    private async Task StopAsync(KnowledgeStoreException error, CancellationTokenSource linked)
    {
        Interlocked.CompareExchange(ref _stopError, error, null);
        await linked.CancelAsync().ConfigureAwait(false);
        linked.Token.ThrowIfCancellationRequested();
    }

    /// <summary>Collects results and reports progress with an estimate of the embedding work left; safe for concurrent stages.</summary>
    private sealed class ProgressTracker(int total, long bytesTotal, IngestionFileResult?[] results, IProgress<IngestionProgress>? progress)
    {
        private readonly object _lock = new();
        private int _done;
        private long _bytesPrepared;
        private int _toEmbed;
        private int _embedded;
        private int _reused;
        private IngestionFileResult? _last;

        public void Prepared(long bytes, int chunksToEmbed)
        {
            lock (_lock)
            {
                _bytesPrepared += bytes;
                _toEmbed += chunksToEmbed;
            }
        }

        public void Embedded(int chunks)
        {
            lock (_lock)
                _embedded += chunks;
            Report();
        }

        public void Finished(int position, IngestionFileResult result)
        {
            lock (_lock)
            {
                results[position] = result;
                RetrievalTelemetry.RecordIngested(result);
                _done++;
                _reused += result.ReusedChunks;
                _last = result;
            }
            Report();
        }

        private void Report()
        {
            if (progress is null)
                return;
            IngestionProgress snapshot;
            lock (_lock)
            {
                if (_last is null)
                    return;
                int? left = null;
                if (_bytesPrepared > 0 || _done > 0)
                {
                    // Files not read yet are expected to need as many chunks per byte as those read so far.
                    var rate = _bytesPrepared > 0 ? (double)_toEmbed / _bytesPrepared : 0;
                    left = Math.Max(0, _toEmbed - _embedded) + (int)Math.Round(Math.Max(0, bytesTotal - _bytesPrepared) * rate);
                }
                snapshot = new IngestionProgress(_done, total, _embedded, _last) { ChunksLeft = left, ChunksReused = _reused };
            }
            progress.Report(snapshot);
        }
    }
}

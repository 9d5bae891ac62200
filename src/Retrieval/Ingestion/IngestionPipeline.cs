using System.Diagnostics;
using System.Threading.Channels;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Diagnostics;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// Files in, stored chunks out: discover -> read -> chunk -> lexical weights (one stage, ahead)
/// -> embed in batches that span documents -> write each document atomically (second stage).
/// A file that fails is reported and the rest go in; unchanged documents are not re-embedded.
/// </summary>
public sealed class IngestionPipeline
{
    public static readonly ActivitySource ActivitySource = new(RetrievalTelemetry.IngestionSourceName);

    private readonly DocumentReaderRegistry _readers;
    private readonly TextChunker _chunker;
    private readonly ChunkingOptions _chunking;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly ILexicalEncoder _lexical;
    private readonly IKnowledgeStore _store;
    private readonly string _embeddingModel;
    private readonly int _dimensions;

    public IngestionPipeline(
        DocumentReaderRegistry readers,
        TextChunker chunker,
        ChunkingOptions chunking,
        IEmbeddingGenerator<string, Embedding<float>> embedder,
        ILexicalEncoder lexical,
        IKnowledgeStore store,
        EmbeddingModelInfo model)
    {
        _readers = readers;
        _chunker = chunker;
        _chunking = chunking;
        _embedder = embedder;
        _lexical = lexical;
        _store = store;
        _embeddingModel = model.Name;
        _dimensions = model.Dimensions;
    }

    /// <summary>Ingests files and folders; never throws for a bad file (see the summary), only for a broken store or cancellation.</summary>
    public Task<IngestionSummary> IngestAsync(
        IReadOnlyList<string> paths,
        IngestionOptions? options = null,
        IProgress<IngestionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new IngestionOptions();
        var files = new FileDiscovery(options.Discovery).Discover(paths).ToList();
        return IngestSourcesAsync(files.Select(f => Source(ct => ReadFileAsync(f, options, ct))).ToList(), options, progress, cancellationToken);
    }

    /// <summary>Ingests documents already in memory (uploads, plugin calls, evaluation sets).</summary>
    public Task<IngestionSummary> IngestDocumentsAsync(
        IReadOnlyList<Document> documents,
        IngestionOptions? options = null,
        IProgress<IngestionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new IngestionOptions();
        return IngestSourcesAsync(documents.Select(d => Source(ct => PrepareAsync(d, d.Source, options, ct))).ToList(), options, progress, cancellationToken);
    }

    private static Func<CancellationToken, Task<SourceOutcome>> Source(Func<CancellationToken, Task<SourceOutcome>> prepare) => prepare;

    private async Task<IngestionSummary> IngestSourcesAsync(
        IReadOnlyList<Func<CancellationToken, Task<SourceOutcome>>> sources,
        IngestionOptions options,
        IProgress<IngestionProgress>? progress,
        CancellationToken cancellationToken)
    {
        using var activity = ActivitySource.StartActivity("ingest");
        activity?.SetTag("kqa.sources", sources.Count);
        await _store.InitializeAsync(_dimensions, _embeddingModel, cancellationToken).ConfigureAwait(false);
        return new IngestionSummary(await RunAsync(sources.Count, sources, options, progress, cancellationToken).ConfigureAwait(false));
    }

    private async Task<IReadOnlyList<IngestionFileResult>> RunAsync(
        int total,
        IEnumerable<Func<CancellationToken, Task<SourceOutcome>>> sources,
        IngestionOptions options,
        IProgress<IngestionProgress>? progress,
        CancellationToken cancellationToken)
    {
        var results = new IngestionFileResult?[total];
        var tracker = new ProgressTracker(total, progress);
        var channel = Channel.CreateBounded<PreparedDocument>(new BoundedChannelOptions(Math.Max(1, options.ReadAhead))
        {
            SingleWriter = true,
            SingleReader = options.EmbeddingParallelism <= 1,
        });

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(async () =>
        {
            try
            {
                var position = 0;
                foreach (var source in sources)
                {
                    SourceOutcome outcome;
                    // Read, fingerprint, chunk and encode one document; its write is the "store.write" span of the embedding stage.
                    using (var documentActivity = ActivitySource.StartActivity("ingest.document"))
                    {
                        outcome = await source(linked.Token).ConfigureAwait(false);
                        RetrievalTelemetry.TagDocument(documentActivity, outcome.Prepared?.Record.Id, outcome.Result, outcome.Prepared?.Chunks.Count ?? 0);
                    }
                    if (outcome.Prepared is { } prepared)
                        await channel.Writer.WriteAsync(prepared with { Position = position }, linked.Token).ConfigureAwait(false);
                    else
                        tracker.Report(results, position, outcome.Result!, 0);
                    position++;
                }
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, linked.Token);

        var consumers = Enumerable.Range(0, Math.Max(1, options.EmbeddingParallelism))
            .Select(_ => Task.Run(() => ConsumeAsync(channel.Reader, options, results, tracker, linked.Token), linked.Token))
            .ToList();

        try
        {
            await Task.WhenAll(consumers.Append(producer)).ConfigureAwait(false);
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            throw;
        }

        return results.Select(r => r!).ToList();
    }

    /// <summary>Pulls prepared documents, embeds their chunks in batches that span documents, and writes each document.</summary>
    private async Task ConsumeAsync(
        ChannelReader<PreparedDocument> reader,
        IngestionOptions options,
        IngestionFileResult?[] results,
        ProgressTracker tracker,
        CancellationToken cancellationToken)
    {
        var batch = new List<PreparedDocument>();
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Fill a whole batch of chunks before embedding (small documents share one call, as a GPU
            // and ONNX Runtime's batching want); only the end of the input makes a short batch.
            var chunkCount = 0;
            while (chunkCount < options.EmbeddingBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                    chunkCount += next.Chunks.Count;
                }
                else if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
            }

            if (batch.Count == 0)
                continue;

            await EmbedAndWriteAsync(batch, results, tracker, cancellationToken).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task EmbedAndWriteAsync(List<PreparedDocument> batch, IngestionFileResult?[] results, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        var texts = batch.SelectMany(d => d.Chunks.Select(c => c.Text)).ToList();
        GeneratedEmbeddings<Embedding<float>> vectors;
        var embedStarted = Stopwatch.GetTimestamp();
        using (ActivitySource.StartActivity("embed")?.SetTag("kqa.chunks", texts.Count).SetTag("kqa.documents", batch.Count))
            vectors = await _embedder.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        RetrievalTelemetry.RecordEmbedding(texts.Count, Stopwatch.GetElapsedTime(embedStarted));

        var offset = 0;
        foreach (var document in batch)
        {
            var indexed = new IndexedChunk[document.Chunks.Count];
            for (var i = 0; i < indexed.Length; i++)
                indexed[i] = new IndexedChunk(document.Chunks[i], vectors[offset + i].Vector, document.Sparse[i]);
            offset += indexed.Length;

            IngestionFileResult result;
            using var writeActivity = ActivitySource.StartActivity("store.write");
            try
            {
                await _store.UpsertDocumentAsync(document.Record with { IngestedAt = DateTimeOffset.UtcNow }, indexed, cancellationToken).ConfigureAwait(false);
                result = new IngestionFileResult(document.Path, document.Record.Id,
                    document.Replaces ? IngestionOutcome.Replaced : IngestionOutcome.Added, indexed.Length);
            }
            catch (KnowledgeStoreException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // A store that refuses one document (too large a payload, say) must not stop the batch.
                result = new IngestionFileResult(document.Path, document.Record.Id, IngestionOutcome.Failed, 0, ex.Message);
            }

            RetrievalTelemetry.TagDocument(writeActivity, document.Record.Id, result);
            tracker.Report(results, document.Position, result, indexed.Length);
        }
    }

    private async Task<SourceOutcome> ReadFileAsync(DiscoveredFile file, IngestionOptions options, CancellationToken cancellationToken)
    {
        if (file.SkipReason is not null)
            return new SourceOutcome(null, new IngestionFileResult(file.FullPath, file.DocumentId, IngestionOutcome.Skipped, 0, file.SkipReason));

        Document document;
        try
        {
            document = await _readers.ReadFileAsync(file.FullPath, file.DocumentId, cancellationToken).ConfigureAwait(false);
        }
        catch (DocumentReadException ex)
        {
            return new SourceOutcome(null, new IngestionFileResult(file.FullPath, file.DocumentId, IngestionOutcome.Failed, 0, ex.Reason));
        }

        return await PrepareAsync(document, file.FullPath, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SourceOutcome> PrepareAsync(Document document, string path, IngestionOptions options, CancellationToken cancellationToken)
    {
        var hash = DocumentFingerprint.Compute(document, options, _chunking, _embeddingModel);
        var existing = await _store.GetDocumentAsync(document.Id, cancellationToken).ConfigureAwait(false);
        if (existing?.ContentHash == hash)
            return new SourceOutcome(null, new IngestionFileResult(path, document.Id, IngestionOutcome.Unchanged, existing.ChunkCount));

        IReadOnlyList<Chunk> chunks;
        using (ActivitySource.StartActivity("chunk"))
            chunks = _chunker.Split(document);
        if (chunks.Count == 0)
            return new SourceOutcome(null, new IngestionFileResult(path, document.Id, IngestionOutcome.Failed, 0, "no text to index after chunking"));

        var sparse = chunks.Select(c => _lexical.EncodeDocument(c.Text)).ToArray();
        var record = new StoredDocument
        {
            Id = document.Id,
            Source = document.Source,
            Title = document.Title,
            ContentHash = hash,
            Tags = options.Tags,
            Tenant = options.Tenant,
            ChunkCount = chunks.Count,
        };
        return new SourceOutcome(new PreparedDocument(path, record, chunks, sparse, existing is not null), null);
    }

    private sealed record SourceOutcome(PreparedDocument? Prepared, IngestionFileResult? Result);

    private sealed record PreparedDocument(string Path, StoredDocument Record, IReadOnlyList<Chunk> Chunks, SparseVector[] Sparse, bool Replaces)
    {
        public int Position { get; init; }
    }

    /// <summary>Counts finished files and reports progress; safe for concurrent consumers.</summary>
    private sealed class ProgressTracker(int total, IProgress<IngestionProgress>? progress)
    {
        private int _done;
        private int _chunks;

        public void Report(IngestionFileResult?[] results, int position, IngestionFileResult result, int chunks)
        {
            results[position] = result;
            RetrievalTelemetry.RecordIngested(result);
            var done = Interlocked.Increment(ref _done);
            var embedded = Interlocked.Add(ref _chunks, chunks);
            progress?.Report(new IngestionProgress(done, total, embedded, result));
        }
    }
}

/// <summary>The embedding model's identity as the store records it.</summary>
public sealed record EmbeddingModelInfo(string Name, int Dimensions);

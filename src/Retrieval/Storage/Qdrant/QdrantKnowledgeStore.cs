using System.Globalization;
using System.Runtime.CompilerServices;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// <see cref="IKnowledgeStore"/> on a Qdrant server or cluster, over gRPC (Qdrant.Client's
/// generated client). Chunks are points of the collection <see cref="QdrantStoreOptions.Collection"/>
/// with a named dense vector and a named sparse vector; document records and the store's metadata
/// live in "&lt;collection&gt;_documents". See docs/qdrant.md for the layout and its reasons.
/// </summary>
/// <remarks>
/// Qdrant has no multi-point transactions, so a document write is ordered to be safe when
/// interrupted: new chunk points first (in bounded batches), then the removal of the document's
/// stale chunk points, then the document record. Until the record is written the document's old
/// content hash (or none) is what the store reports, so the next ingest redoes the document; all
/// steps are idempotent.
/// </remarks>
public sealed partial class QdrantKnowledgeStore : IKnowledgeStore
{
    private const uint ScrollPageSize = 256;

    private readonly QdrantStoreOptions _options;
    private readonly QdrantEndpoint _endpoint;
    private readonly QdrantGrpcClient _client;
    private readonly GrpcChannel? _ownedChannel;
    private readonly QdrantCalls _calls;
    private readonly ILogger _logger;
    private readonly WriteOrdering? _ordering;
    private readonly ReadConsistency? _consistency;
    private readonly SemaphoreSlim _initialization = new(1, 1);
    private volatile bool _serverChecked;
    private QdrantStoreMetadata? _metadata;

    /// <summary>Connects to <see cref="QdrantStoreOptions.Url"/> (lazily: the first call checks the server).</summary>
    public QdrantKnowledgeStore(QdrantStoreOptions options, ILogger<QdrantKnowledgeStore>? logger = null)
        : this(options, logger, client: null)
    {
    }

    /// <summary>
    /// Uses a gRPC client the host configured (custom channel, interceptors, tests). The store does
    /// not dispose it; <see cref="QdrantStoreOptions.Url"/> is still used in messages.
    /// </summary>
    public QdrantKnowledgeStore(QdrantStoreOptions options, QdrantGrpcClient client, ILogger? logger = null)
        : this(options, logger, client ?? throw new ArgumentNullException(nameof(client)))
    {
    }

    private QdrantKnowledgeStore(QdrantStoreOptions options, ILogger? logger, QdrantGrpcClient? client)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _endpoint = QdrantEndpoint.Parse(options.Url);
        _logger = logger ?? NullLogger.Instance;
        if (client is null)
        {
            var (channel, invoker) = QdrantChannelFactory.Create(_endpoint, options);
            _ownedChannel = channel;
            client = new QdrantGrpcClient(invoker);
        }

        _client = client;
        _calls = new QdrantCalls(_endpoint, options, _logger);
        _ordering = QdrantSchema.Ordering(options);
        _consistency = QdrantSchema.Consistency(options);
    }

    public QdrantEndpoint Endpoint => _endpoint;

    public string Collection => _options.Collection;

    private string Chunks => _options.Collection;

    private string Records => _options.DocumentsCollection;

    public async Task InitializeAsync(int dimensions, string embeddingModel, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentException.ThrowIfNullOrWhiteSpace(embeddingModel);

        await _initialization.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
            var chunkInfo = await EnsureCollectionAsync(
                QdrantSchema.ChunkCollection(_options, dimensions), QdrantSchema.ChunkIndexedFields, cancellationToken).ConfigureAwait(false);
            CheckChunkCollection(chunkInfo, dimensions, embeddingModel);
            await EnsureCollectionAsync(
                QdrantSchema.DocumentCollection(_options), QdrantSchema.DocumentIndexedFields, cancellationToken).ConfigureAwait(false);

            var wanted = new QdrantStoreMetadata(embeddingModel, dimensions, QdrantSchema.LayoutVersion);
            var recorded = await ReadMetadataAsync(cancellationToken).ConfigureAwait(false);
            if (recorded is not null && recorded.EmbeddingModel != embeddingModel)
            {
                // Refused even while the collection is empty: it was set up for that model, and
                // silently switching would mix vector spaces as soon as two processes disagree.
                throw new KnowledgeStoreException(
                    $"Qdrant collection '{Chunks}' at {_endpoint} was created for the embedding model '{recorded.EmbeddingModel}', not '{embeddingModel}': "
                    + "use the same embedding model, another --collection, or delete this collection (and its '_documents' companion) and ingest again.");
            }

            if (recorded != wanted)
            {
                await UpsertPointsAsync(Records, [QdrantDocumentPoints.ToPoint(wanted)], "recording the embedding model", cancellationToken).ConfigureAwait(false);
            }

            _metadata = wanted;
            _logger.LogInformation(
                "Qdrant store ready at {Endpoint}: collection {Collection} ({Dimensions} dimensions, model {Model}).",
                _endpoint, Chunks, dimensions, embeddingModel);
        }
        finally
        {
            _initialization.Release();
        }
    }

    public async Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var request = new GetPoints { CollectionName = Records, WithPayload = new WithPayloadSelector { Enable = true } };
        request.Ids.Add(QdrantPointIds.ForDocument(documentId));
        ApplyConsistency(request);
        var points = await _calls.RunAsync(
            $"reading document '{documentId}'",
            Records,
            async ct => (await _client.Points.GetAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
            cancellationToken,
            whenCollectionMissing: () => []).ConfigureAwait(false);
        return points.Count == 0 ? null : QdrantDocumentPoints.ToDocument(points[0].Id, points[0].Payload);
    }

    /// <summary>Writes a document's chunk points and record (the caller decided it must be written; see QdrantKnowledgeStore.Sync.cs).</summary>
    private async Task WriteDocumentPointsAsync(StoredDocument document, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken)
    {
        ValidateChunks(document, chunks);
        var record = document with { ChunkCount = chunks.Count };
        var points = chunks.Select(c => QdrantChunkPoints.ToPoint(record, c)).ToList();
        var written = 0;
        foreach (var batch in points.Chunk(_options.UpsertBatchSize))
        {
            var operation = string.Create(CultureInfo.InvariantCulture,
                $"writing chunks {written + 1}-{written + batch.Length} of {points.Count} of document '{document.Id}'");
            await UpsertPointsAsync(Chunks, batch, operation, cancellationToken).ConfigureAwait(false);
            written += batch.Length;
        }

        await DeletePointsAsync(
            Chunks,
            new PointsSelector { Filter = QdrantFilters.StaleChunks(document.Id, points.Select(p => p.Id)) },
            $"removing stale chunks of document '{document.Id}'",
            cancellationToken).ConfigureAwait(false);

        // Last: the record is what says "this document is stored with this content hash".
        await UpsertPointsAsync(Records, [QdrantDocumentPoints.ToPoint(record)], $"writing the record of document '{document.Id}'", cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Refuses chunks of another document or vectors of another size before anything is sent.</summary>
    private void ValidateChunks(StoredDocument document, IReadOnlyList<IndexedChunk> chunks)
    {
        var metadata = _metadata ?? throw new InvalidOperationException("Call InitializeAsync before writing to the Qdrant store.");
        foreach (var indexed in chunks)
        {
            if (indexed.Chunk.DocumentId != document.Id)
            {
                throw new ArgumentException(
                    $"Chunk {indexed.Chunk.Id} belongs to document '{indexed.Chunk.DocumentId}', not '{document.Id}'.", nameof(chunks));
            }

            if (indexed.Vector.Length != metadata.Dimensions)
            {
                throw new KnowledgeStoreException(string.Create(CultureInfo.InvariantCulture,
                    $"Chunk {indexed.Chunk.Index} of '{document.Id}' has a {indexed.Vector.Length}-dimensional vector but Qdrant collection '{Chunks}' holds {metadata.Dimensions}: embed with the model the collection was created for, or use another --collection."));
            }
        }
    }

    public async Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        var existing = await GetDocumentAsync(documentId, cancellationToken).ConfigureAwait(false);
        var chunksDeleted = await DeletePointsAsync(
            Chunks,
            new PointsSelector { Filter = QdrantFilters.OfDocument(documentId) },
            $"deleting the chunks of document '{documentId}'",
            cancellationToken,
            toleratesMissingCollection: true).ConfigureAwait(false);
        if (!chunksDeleted || existing is null)
        {
            return false;
        }

        // The record goes last, so an interrupted delete still lists the document and can be repeated.
        await DeletePointsAsync(
            Records,
            new PointsSelector { Points = new PointsIdsList { Ids = { QdrantPointIds.ForDocument(documentId) } } },
            $"deleting the record of document '{documentId}'",
            cancellationToken,
            toleratesMissingCollection: true).ConfigureAwait(false);
        return true;
    }

    /// <summary>Every document record, in Qdrant's id order (not sorted by document id).</summary>
    public async IAsyncEnumerable<StoredDocument> ListDocumentsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var point in ScrollAsync(Records, QdrantFilters.DocumentRecords(), withVectors: null, "listing documents", cancellationToken)
                           .ConfigureAwait(false))
        {
            yield return QdrantDocumentPoints.ToDocument(point.Id, point.Payload);
        }
    }

    public async IAsyncEnumerable<IndexedChunk> ReadChunksAsync(string documentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var vectors = new WithVectorsSelector { Include = new VectorsSelector { Names = { QdrantSchema.DenseVector, QdrantSchema.SparseVector } } };

        // Scroll order is point-id order; a document's chunks are few enough to sort in memory.
        var chunks = new List<IndexedChunk>();
        await foreach (var point in ScrollAsync(Chunks, QdrantFilters.OfDocument(documentId), vectors, $"reading the chunks of document '{documentId}'", cancellationToken)
                           .ConfigureAwait(false))
        {
            chunks.Add(QdrantChunkPoints.ToIndexedChunk(point));
        }

        foreach (var chunk in chunks.OrderBy(c => c.Chunk.Index))
        {
            yield return chunk;
        }
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(StoreQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        QdrantQueries.Validate(query, _metadata?.Dimensions ?? 0);
        if (query.Top <= 0)
        {
            return [];
        }

        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        switch (query.Mode)
        {
            case SearchMode.Dense:
                return MapHits(await QueryAsync(QdrantQueries.Dense(Chunks, query, _consistency), "dense search", cancellationToken).ConfigureAwait(false), SearchMode.Dense);

            case SearchMode.Lexical:
                if (query.Sparse.Count == 0)
                {
                    return [];
                }

                return MapHits(await QueryAsync(QdrantQueries.Lexical(Chunks, query, _consistency), "lexical search", cancellationToken).ConfigureAwait(false), SearchMode.Lexical);

            case SearchMode.Hybrid:
                if (QdrantQueries.Hybrid(Chunks, query, _consistency) is not { } fusedRequest)
                {
                    return [];
                }

                var fused = await QueryAsync(fusedRequest, "hybrid search", cancellationToken).ConfigureAwait(false);
                var lexicalScores = new Dictionary<string, double>();
                if (fused.Count > 0 && query.Sparse.Count > 0)
                {
                    var scored = await QueryAsync(
                        QdrantQueries.LexicalScores(Chunks, query, fused.Select(p => p.Id).ToArray(), _consistency),
                        "scoring hybrid hits lexically",
                        cancellationToken).ConfigureAwait(false);
                    lexicalScores = QdrantSearchHits.ScoresById(scored);
                }

                return QdrantSearchHits.FromHybrid(fused, query.Vector, lexicalScores);

            default:
                throw new ArgumentOutOfRangeException(nameof(query), query.Mode, "Unknown search mode.");
        }
    }

    public async Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var info = await GetCollectionInfoAsync(Chunks, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            return new StoreStatistics(0, 0, 0, null);
        }

        var chunks = await CountAsync(Chunks, filter: null, cancellationToken).ConfigureAwait(false);
        var documents = await CountAsync(Records, QdrantFilters.DocumentRecords(), cancellationToken).ConfigureAwait(false);
        var metadata = await ReadMetadataAsync(cancellationToken).ConfigureAwait(false);
        var dimensions = (int)(QdrantSchema.DenseSize(info) ?? (ulong)(metadata?.Dimensions ?? 0));
        return new StoreStatistics(checked((int)documents), checked((int)chunks), dimensions, metadata?.EmbeddingModel);
    }

    /// <summary>
    /// Deletes both collections of this store (chunks and document records) with everything in
    /// them. For tests and for starting over; the next <see cref="InitializeAsync"/> recreates them.
    /// </summary>
    public async Task DeleteCollectionsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        foreach (var collection in new[] { Chunks, Records })
        {
            await _calls.RunAsync(
                "deleting the collection",
                collection,
                async ct => (await _client.Collections.DeleteAsync(new DeleteCollection { CollectionName = collection }, cancellationToken: ct, deadline: Deadline())
                    .ConfigureAwait(false)).Result,
                cancellationToken,
                whenCollectionMissing: () => false).ConfigureAwait(false);
        }

        _metadata = null;
    }

    public ValueTask DisposeAsync()
    {
        _ownedChannel?.Dispose();
        _initialization.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The first contact: one health check bounded by <see cref="QdrantStoreOptions.ConnectTimeout"/>
    /// and not retried, so that a wrong URL or a stopped server is reported within seconds.
    /// </summary>
    private async Task EnsureServerAsync(CancellationToken cancellationToken)
    {
        if (_serverChecked)
        {
            return;
        }

        HealthCheckReply reply;
        try
        {
            reply = await _client.Qdrant.HealthCheckAsync(
                new HealthCheckRequest(),
                deadline: DateTime.UtcNow + _options.ConnectTimeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Connecting to Qdrant was cancelled.", e, cancellationToken);
        }
        catch (Grpc.Core.RpcException e)
        {
            throw QdrantErrors.Unreachable(_endpoint, e);
        }
        catch (HttpRequestException e)
        {
            throw QdrantErrors.Unreachable(_endpoint, e);
        }

        QdrantServerVersion.EnsureSupported(reply.Version, _endpoint);
        _logger.LogDebug("Connected to Qdrant {Version} at {Endpoint}.", reply.Version, _endpoint);
        _serverChecked = true;
    }

    /// <summary>Creates the collection unless it exists (another process may race us), then adds missing payload indexes.</summary>
    private async Task<CollectionInfo> EnsureCollectionAsync(CreateCollection create, IReadOnlyList<string> indexedFields, CancellationToken cancellationToken)
    {
        var name = create.CollectionName;
        var info = await GetCollectionInfoAsync(name, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            await _calls.RunAsync(
                "creating the collection",
                name,
                async ct =>
                {
                    try
                    {
                        return (await _client.Collections.CreateAsync(create, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result;
                    }
                    catch (Grpc.Core.RpcException e) when (QdrantErrors.IsAlreadyExists(e))
                    {
                        return false;
                    }
                },
                cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Created Qdrant collection {Collection} at {Endpoint}.", name, _endpoint);
            info = await GetCollectionInfoAsync(name, cancellationToken).ConfigureAwait(false)
                ?? throw new KnowledgeStoreException($"Qdrant at {_endpoint} accepted the creation of collection '{name}' but does not list it: check the server's log.");
        }

        foreach (var field in indexedFields.Where(f => !info.PayloadSchema.ContainsKey(f)))
        {
            await _calls.RunAsync(
                $"indexing payload field '{field}'",
                name,
                async ct => (await _client.Points.CreateFieldIndexAsync(QdrantSchema.KeywordIndex(name, field, _ordering), cancellationToken: ct, deadline: Deadline())
                    .ConfigureAwait(false)).Result,
                cancellationToken).ConfigureAwait(false);
        }

        return info;
    }

    private void CheckChunkCollection(CollectionInfo info, int dimensions, string embeddingModel)
    {
        var size = QdrantSchema.DenseSize(info);
        if (size is null || !QdrantSchema.HasSparseVector(info))
        {
            throw new KnowledgeStoreException(
                $"Qdrant collection '{Chunks}' at {_endpoint} was not created by kqa (it lacks the '{QdrantSchema.DenseVector}' and '{QdrantSchema.SparseVector}' vectors): use another --collection.");
        }

        if (size != (ulong)dimensions)
        {
            throw new KnowledgeStoreException(string.Create(CultureInfo.InvariantCulture,
                $"Qdrant collection '{Chunks}' at {_endpoint} holds {size}-dimensional vectors, but the embedding model '{embeddingModel}' makes {dimensions}-dimensional ones: use another --collection for this model, or delete the collection (and its '_documents' companion) and ingest again."));
        }
    }

    private async Task<CollectionInfo?> GetCollectionInfoAsync(string collection, CancellationToken cancellationToken) =>
        await _calls.RunAsync<CollectionInfo?>(
            "reading the collection's configuration",
            collection,
            async ct => (await _client.Collections.GetAsync(new GetCollectionInfoRequest { CollectionName = collection }, cancellationToken: ct, deadline: Deadline())
                .ConfigureAwait(false)).Result,
            cancellationToken,
            whenCollectionMissing: () => null).ConfigureAwait(false);

    private async Task<QdrantStoreMetadata?> ReadMetadataAsync(CancellationToken cancellationToken)
    {
        var request = new GetPoints { CollectionName = Records, WithPayload = new WithPayloadSelector { Enable = true } };
        request.Ids.Add(QdrantPointIds.Of(QdrantPointIds.Metadata));
        ApplyConsistency(request);
        var points = await _calls.RunAsync(
            "reading the store's metadata",
            Records,
            async ct => (await _client.Points.GetAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
            cancellationToken,
            whenCollectionMissing: () => []).ConfigureAwait(false);
        return points.Count == 0 ? null : QdrantDocumentPoints.ToMetadata(points[0].Id, points[0].Payload);
    }

    private async Task<ulong> CountAsync(string collection, Filter? filter, CancellationToken cancellationToken)
    {
        var request = new CountPoints { CollectionName = collection, Exact = true };
        if (filter is not null)
        {
            request.Filter = filter;
        }

        if (_consistency is not null)
        {
            request.ReadConsistency = _consistency;
        }

        return await _calls.RunAsync(
            "counting points",
            collection,
            async ct => (await _client.Points.CountAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result.Count,
            cancellationToken,
            whenCollectionMissing: () => 0UL).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<RetrievedPoint> ScrollAsync(
        string collection,
        Filter filter,
        WithVectorsSelector? withVectors,
        string operation,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        PointId? offset = null;
        do
        {
            var request = new ScrollPoints
            {
                CollectionName = collection,
                Filter = filter,
                Limit = ScrollPageSize,
                WithPayload = new WithPayloadSelector { Enable = true },
                WithVectors = withVectors ?? new WithVectorsSelector { Enable = false },
            };
            if (offset is not null)
            {
                request.Offset = offset;
            }

            if (_consistency is not null)
            {
                request.ReadConsistency = _consistency;
            }

            var page = await _calls.RunAsync<ScrollResponse?>(
                operation,
                collection,
                async ct => await _client.Points.ScrollAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false),
                cancellationToken,
                whenCollectionMissing: () => null).ConfigureAwait(false);
            if (page is null)
            {
                yield break;
            }

            foreach (var point in page.Result)
            {
                yield return point;
            }

            offset = page.NextPageOffset;
        }
        while (offset is not null);
    }

    private async Task<IReadOnlyList<ScoredPoint>> QueryAsync(QueryPoints request, string operation, CancellationToken cancellationToken) =>
        await _calls.RunAsync(
            operation,
            Chunks,
            async ct => (IReadOnlyList<ScoredPoint>)(await _client.Points.QueryAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
            cancellationToken,
            whenCollectionMissing: () => []).ConfigureAwait(false);

    private static IReadOnlyList<SearchHit> MapHits(IReadOnlyList<ScoredPoint> points, SearchMode mode) =>
        points.Select(p => QdrantSearchHits.ToHit(p, mode)).ToArray();

    private async Task UpsertPointsAsync(string collection, IReadOnlyList<PointStruct> points, string operation, CancellationToken cancellationToken)
    {
        var request = new UpsertPoints { CollectionName = collection, Wait = true };
        request.Points.Add(points);
        if (_ordering is not null)
        {
            request.Ordering = _ordering;
        }

        await _calls.RunAsync(
            operation,
            collection,
            async ct => EnsureApplied(await _client.Points.UpsertAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the selected points; false when the collection does not exist (and that was tolerated).</summary>
    private async Task<bool> DeletePointsAsync(
        string collection, PointsSelector selector, string operation, CancellationToken cancellationToken, bool toleratesMissingCollection = false)
    {
        var request = new DeletePoints { CollectionName = collection, Wait = true, Points = selector };
        if (_ordering is not null)
        {
            request.Ordering = _ordering;
        }

        return await _calls.RunAsync(
            operation,
            collection,
            async ct => EnsureApplied(await _client.Points.DeleteAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)),
            cancellationToken,
            whenCollectionMissing: toleratesMissingCollection ? () => false : null).ConfigureAwait(false);
    }

    private static bool EnsureApplied(PointsOperationResponse response)
    {
        var status = response.Result?.Status ?? UpdateStatus.UnknownUpdateStatus;
        if (status != UpdateStatus.Completed)
        {
            throw new QdrantWriteNotAppliedException($"the write was not applied (status {status})");
        }

        return true;
    }

    private void ApplyConsistency(GetPoints request)
    {
        if (_consistency is not null)
        {
            request.ReadConsistency = _consistency;
        }
    }

    private DateTime Deadline() => DateTime.UtcNow + _options.RequestTimeout;
}

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
/// with a named dense vector and a named sparse vector; document records and the sync records
/// live in "&lt;collection&gt;_documents"; the embedding model is recorded in the chunk
/// collection's own metadata. See docs/qdrant.md for the layout and its reasons.
/// </summary>
/// <remarks>
/// Qdrant has no multi-point transactions. A document write therefore has a generation
/// (<see cref="QdrantGenerations"/>): its chunk points are new points of that generation, then the
/// record moves to that generation unless a newer write moved it further, then chunk points of
/// older generations are removed. Reads show a document's chunks of its record's generation only,
/// so an interrupted or concurrent write leaves the old or the new version visible, never a mix;
/// what an interrupted write leaves behind is removed by the document's next write or by
/// <see cref="RepairAsync"/>.
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
        _calls = new QdrantCalls(_endpoint, options, _logger, ListCollectionNamesAsync);
        _ordering = QdrantSchema.Ordering(options);
        _consistency = QdrantSchema.Consistency(options);
    }

    public QdrantEndpoint Endpoint => _endpoint;

    public string Collection => _options.Collection;

    private string Chunks => _options.Collection;

    private string Records => _options.DocumentsCollection;

    public async Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        return (await GetRecordOfAsync(documentId, cancellationToken).ConfigureAwait(false))?.Document;
    }

    /// <summary>A document's record with its generation, or null when the document is not stored.</summary>
    private async Task<QdrantRecord?> GetRecordOfAsync(string documentId, CancellationToken cancellationToken)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var point = await GetPointAsync(Records, QdrantPointIds.ForDocument(documentId), $"reading document '{documentId}'", toleratesMissingCollection: false, cancellationToken)
            .ConfigureAwait(false);
        return point is null ? null : QdrantDocumentPoints.ToRecord(point);
    }

    /// <summary>
    /// Writes a document's chunk points and record (the caller decided it must be written; see
    /// QdrantKnowledgeStore.Sync.cs). Safe against a concurrent writer of the same document in
    /// another process: the write of the newer generation wins whole, and the other's points go.
    /// </summary>
    private async Task WriteDocumentPointsAsync(StoredDocument document, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken)
    {
        ValidateChunks(document, chunks);
        var generation = QdrantGenerations.Next();
        var record = document with { ChunkCount = chunks.Count };
        var points = chunks.Select(c => QdrantChunkPoints.ToPoint(record, c, generation)).ToList();
        var written = 0;
        foreach (var batch in points.Chunk(_options.UpsertBatchSize))
        {
            var operation = string.Create(CultureInfo.InvariantCulture,
                $"writing chunks {written + 1}-{written + batch.Length} of {points.Count} of document '{document.Id}'");
            await UpsertPointsAsync(Chunks, batch, operation, cancellationToken).ConfigureAwait(false);
            written += batch.Length;
        }

        // The commit: from here reads show this version (unless a newer write committed first).
        await UpsertPointsAsync(
            Records,
            [QdrantDocumentPoints.ToPoint(record, generation)],
            $"writing the record of document '{document.Id}'",
            cancellationToken,
            updateFilter: QdrantFilters.RecordOlderThan(generation)).ConfigureAwait(false);
        await RemoveSupersededChunksAsync(document.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes a document's chunk points older than its record's generation: the previous version
    /// after a write, the points of a write that lost to a newer one, or of an interrupted one.
    /// </summary>
    private async Task RemoveSupersededChunksAsync(string documentId, CancellationToken cancellationToken)
    {
        // Read back, not assumed: a newer writer may own the record now, and then our points are the old ones.
        var current = await GetRecordOfAsync(documentId, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return; // deleted meanwhile; what is left is an orphan for RepairAsync
        }

        await DeletePointsAsync(
            Chunks,
            new PointsSelector { Filter = QdrantFilters.ChunksBefore(documentId, current.Generation) },
            $"removing superseded chunks of document '{documentId}'",
            cancellationToken).ConfigureAwait(false);
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
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var existing = await GetPointAsync(Records, QdrantPointIds.ForDocument(documentId), $"reading document '{documentId}'", toleratesMissingCollection: true, cancellationToken)
            .ConfigureAwait(false);
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
        await foreach (var record in ListRecordsAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return record.Document;
        }
    }

    private async IAsyncEnumerable<QdrantRecord> ListRecordsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var point in ScrollAsync(Records, QdrantFilters.DocumentRecords(), withVectors: null, "listing documents", cancellationToken)
                           .ConfigureAwait(false))
        {
            yield return QdrantDocumentPoints.ToRecord(point);
        }
    }

    /// <summary>The chunks of the document's current version (its record's generation), in index order.</summary>
    public async IAsyncEnumerable<IndexedChunk> ReadChunksAsync(string documentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        var record = await GetRecordOfAsync(documentId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            yield break;
        }

        var vectors = new WithVectorsSelector { Include = new VectorsSelector { Names = { QdrantSchema.DenseVector, QdrantSchema.SparseVector } } };

        // Scroll order is point-id order; a document's chunks are few enough to sort in memory.
        var chunks = new List<IndexedChunk>();
        await foreach (var point in ScrollAsync(Chunks, QdrantFilters.OfDocument(documentId), vectors, $"reading the chunks of document '{documentId}'", cancellationToken)
                           .ConfigureAwait(false))
        {
            if (QdrantChunkPoints.GenerationOf(point.Payload) == record.Generation)
            {
                chunks.Add(QdrantChunkPoints.ToIndexedChunk(point));
            }
        }

        foreach (var chunk in chunks.OrderBy(c => c.Chunk.Index))
        {
            yield return chunk;
        }
    }

    public async Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var info = await GetCollectionInfoAsync(Chunks, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            var existing = await ListCollectionNamesAsync(cancellationToken).ConfigureAwait(false);
            throw QdrantErrors.CollectionMissing(_endpoint, Chunks, existing);
        }

        var chunks = await CountAsync(Chunks, filter: null, cancellationToken).ConfigureAwait(false);
        var documents = await CountAsync(Records, QdrantFilters.DocumentRecords(), cancellationToken).ConfigureAwait(false);
        var metadata = await ReadMetadataAsync(info, cancellationToken).ConfigureAwait(false);
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
            var request = new DeleteCollection { CollectionName = collection, Timeout = _options.ServerTimeoutSeconds };
            await _calls.RunAsync(
                "deleting the collection",
                collection,
                async ct => (await _client.Collections.DeleteAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
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
    /// and not retried, so that a wrong URL or a stopped server is reported within seconds. It needs
    /// no API key, so a wrong key is reported by the first real call.
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

    /// <summary>The server's collection names, for the message about a missing one; empty when even that fails.</summary>
    private async Task<IReadOnlyList<string>> ListCollectionNamesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.Collections.ListAsync(new ListCollectionsRequest(), cancellationToken: cancellationToken, deadline: Deadline()).ConfigureAwait(false);
            return response.Collections.Select(c => c.Name).ToArray();
        }
        catch (Grpc.Core.RpcException)
        {
            return [];
        }
    }

    private async Task<ulong> CountAsync(string collection, Filter? filter, CancellationToken cancellationToken)
    {
        var request = new CountPoints { CollectionName = collection, Exact = true, Timeout = _options.ServerTimeoutSeconds };
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
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pages through the points <paramref name="filter"/> selects; with <paramref name="payload"/> only those payload fields.</summary>
    private async IAsyncEnumerable<RetrievedPoint> ScrollAsync(
        string collection,
        Filter filter,
        WithVectorsSelector? withVectors,
        string operation,
        [EnumeratorCancellation] CancellationToken cancellationToken,
        WithPayloadSelector? payload = null,
        bool toleratesMissingCollection = false)
    {
        PointId? offset = null;
        do
        {
            var request = new ScrollPoints
            {
                CollectionName = collection,
                Filter = filter,
                Limit = ScrollPageSize,
                WithPayload = payload ?? new WithPayloadSelector { Enable = true },
                WithVectors = withVectors ?? new WithVectorsSelector { Enable = false },
                Timeout = _options.ServerTimeoutSeconds,
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
                whenCollectionMissing: toleratesMissingCollection ? () => null : null).ConfigureAwait(false);
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

    /// <summary>Points by id (payload only); none when they do not exist (or, tolerated, their collection does not).</summary>
    private async Task<IReadOnlyList<RetrievedPoint>> GetPointsAsync(
        string collection, IEnumerable<PointId> ids, string operation, bool toleratesMissingCollection, CancellationToken cancellationToken, WithPayloadSelector? payload = null)
    {
        var request = new GetPoints
        {
            CollectionName = collection,
            WithPayload = payload ?? new WithPayloadSelector { Enable = true },
            Timeout = _options.ServerTimeoutSeconds,
        };
        request.Ids.Add(ids);
        if (_consistency is not null)
        {
            request.ReadConsistency = _consistency;
        }

        return await _calls.RunAsync<IReadOnlyList<RetrievedPoint>>(
            operation,
            collection,
            async ct => (await _client.Points.GetAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
            cancellationToken,
            whenCollectionMissing: toleratesMissingCollection ? () => [] : null).ConfigureAwait(false);
    }

    private async Task<RetrievedPoint?> GetPointAsync(string collection, PointId id, string operation, bool toleratesMissingCollection, CancellationToken cancellationToken) =>
        (await GetPointsAsync(collection, [id], operation, toleratesMissingCollection, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    private async Task UpsertPointsAsync(
        string collection, IReadOnlyList<PointStruct> points, string operation, CancellationToken cancellationToken, Filter? updateFilter = null)
    {
        var request = new UpsertPoints { CollectionName = collection, Wait = true, Timeout = _options.ServerTimeoutSeconds };
        request.Points.Add(points);
        if (updateFilter is not null)
        {
            request.UpdateFilter = updateFilter;
        }

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
        var request = new DeletePoints { CollectionName = collection, Wait = true, Points = selector, Timeout = _options.ServerTimeoutSeconds };
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

    private DateTime Deadline() => DateTime.UtcNow + _options.RequestTimeout;
}

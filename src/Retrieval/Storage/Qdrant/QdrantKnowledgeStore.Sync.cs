using System.Runtime.CompilerServices;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// What keeps a Qdrant store in step with folders: the write that says what it did, vectors found
/// by chunk text (the keyword-indexed text_hash payload field), source bindings and remembered
/// failures (points of the documents collection).
/// </summary>
/// <remarks>
/// Qdrant has no transactions, so "decided inside the write" is a compare-then-write under a
/// per-document lock of this store instance: honest within one process (a server, an ingest).
/// Two processes writing one document at the same moment can both see it absent and both report
/// it added, but the store stays consistent: the write of the newer generation wins whole. Vectors
/// of deleted chunks are not kept: reuse covers chunks still stored (other documents, the old
/// version of a changed document, a renamed file until the sync removes its old id).
/// </remarks>
public sealed partial class QdrantKnowledgeStore
{
    private const int HashesPerScroll = 256;

    private readonly KeyedLock _documentLocks = new();
    private readonly KeyedLock _sourceLocks = new();

    public async Task<DocumentWriteResult> UpsertDocumentAsync(StoredDocument document, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(chunks);
        ValidateChunks(document, chunks);
        using var held = await _documentLocks.AcquireAsync(document.Id, cancellationToken).ConfigureAwait(false);
        var existing = await GetRecordOfAsync(document.Id, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.Document.ContentHash == document.ContentHash)
        {
            var stored = existing.Document;
            if (stored.FileFingerprint != document.FileFingerprint || stored.SourceName != document.SourceName)
            {
                var touched = stored with { FileFingerprint = document.FileFingerprint, SourceName = document.SourceName };
                await TouchRecordAsync(touched, existing.Generation, cancellationToken).ConfigureAwait(false);
            }
            return DocumentWriteResult.Unchanged;
        }

        await WriteDocumentPointsAsync(document, chunks, cancellationToken).ConfigureAwait(false);
        return existing is null ? DocumentWriteResult.Added : DocumentWriteResult.Replaced;
    }

    /// <summary>
    /// Replaces the sync fields of a record that is still at <paramref name="generation"/>. Not an
    /// upsert: a conditional upsert inserts a missing point whatever its filter, so a touch racing a
    /// delete would bring back a record whose chunks are gone (a document that reads as unchanged and
    /// is never written again). Overwriting the payload of the points a filter selects changes only
    /// a record that exists and that no newer write replaced.
    /// </summary>
    private async Task TouchRecordAsync(StoredDocument touched, long generation, CancellationToken cancellationToken)
    {
        var request = new SetPayloadPoints
        {
            CollectionName = Records,
            Wait = true,
            PointsSelector = new PointsSelector { Filter = QdrantFilters.RecordStillAt(touched.Id, generation) },
            Timeout = _options.ServerTimeoutSeconds,
        };
        request.Payload.Add(QdrantDocumentPoints.ToPoint(touched, generation).Payload);
        if (_ordering is not null)
        {
            request.Ordering = _ordering;
        }

        await _calls.RunAsync(
            $"updating the record of document '{touched.Id}'",
            Records,
            async ct => EnsureApplied(await _client.Points.OverwritePayloadAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, ReadOnlyMemory<float>>> FindVectorsAsync(
        IReadOnlyCollection<string> textHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(textHashes);
        var found = new Dictionary<string, ReadOnlyMemory<float>>(StringComparer.Ordinal);
        if (textHashes.Count == 0)
        {
            return found;
        }
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var vectors = new WithVectorsSelector { Include = new VectorsSelector { Names = { QdrantSchema.DenseVector } } };
        var payload = new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { PayloadFields.TextHash } } };
        foreach (var batch in textHashes.Distinct(StringComparer.Ordinal).Chunk(HashesPerScroll))
        {
            PointId? offset = null;
            do
            {
                var request = new ScrollPoints
                {
                    CollectionName = Chunks,
                    Filter = QdrantSyncPoints.WithTextHashes(batch),
                    Limit = ScrollPageSize,
                    WithPayload = payload,
                    WithVectors = vectors,
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
                    "looking up stored vectors by chunk text",
                    Chunks,
                    async ct => await _client.Points.ScrollAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false),
                    cancellationToken,
                    whenCollectionMissing: () => null).ConfigureAwait(false);
                if (page is null)
                {
                    break;
                }
                foreach (var point in page.Result)
                {
                    if (Payload.String(point.Payload, PayloadFields.TextHash) is { } hash && !found.ContainsKey(hash)
                        && point.Vectors?.Vectors?.Vectors.TryGetValue(QdrantSchema.DenseVector, out var dense) == true
                        && dense.GetDenseVector()?.Data is { Count: > 0 } data)
                    {
                        found[hash] = data.ToArray();
                    }
                }
                // A batch is satisfied once every hash has a vector; duplicates need not be paged through.
                offset = batch.All(found.ContainsKey) ? null : page.NextPageOffset;
            }
            while (offset is not null);
        }
        return found;
    }

    public async Task<SourceBinding?> GetSourceAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var point = await GetRecordAsync(QdrantSyncPoints.SourceId(name), $"reading source '{name}'", cancellationToken).ConfigureAwait(false);
        return point is null ? null : QdrantSyncPoints.ToSource(point.Id, point.Payload);
    }

    public async Task<SourceBinding> BindSourceAsync(SourceBinding source, bool replace = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(source.Name);
        using var held = await _sourceLocks.AcquireAsync(source.Name, cancellationToken).ConfigureAwait(false);
        var existing = await GetSourceAsync(source.Name, cancellationToken).ConfigureAwait(false);
        if (existing is not null && (!replace || existing.SameTarget(source)))
        {
            return existing;
        }
        var bound = source with { BoundAt = source.BoundAt == default ? DateTimeOffset.UtcNow : source.BoundAt };
        await UpsertPointsAsync(Records, [QdrantSyncPoints.ToPoint(bound)], $"binding source '{source.Name}'", cancellationToken).ConfigureAwait(false);
        return bound;
    }

    public async IAsyncEnumerable<SourceBinding> ListSourcesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var sources = new List<SourceBinding>();
        await foreach (var point in ScrollAsync(Records, QdrantSyncPoints.Sources(), withVectors: null, "listing sources", cancellationToken, toleratesMissingCollection: true).ConfigureAwait(false))
        {
            sources.Add(QdrantSyncPoints.ToSource(point.Id, point.Payload));
        }
        foreach (var source in sources.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            yield return source;
        }
    }

    public async Task<bool> RemoveSourceAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var existing = await GetSourceAsync(name, cancellationToken).ConfigureAwait(false);
        await DeletePointsAsync(Records, new PointsSelector { Filter = QdrantSyncPoints.Failures(name) },
            $"forgetting the failures of source '{name}'", cancellationToken, toleratesMissingCollection: true).ConfigureAwait(false);
        if (existing is null)
        {
            return false;
        }
        await DeletePointsAsync(Records, new PointsSelector { Points = new PointsIdsList { Ids = { QdrantSyncPoints.SourceId(name) } } },
            $"removing source '{name}'", cancellationToken, toleratesMissingCollection: true).ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<IngestFailure>> ListFailuresAsync(string? sourceName, CancellationToken cancellationToken = default)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var failures = new List<IngestFailure>();
        await foreach (var point in ScrollAsync(Records, QdrantSyncPoints.Failures(sourceName), withVectors: null, "listing remembered failures", cancellationToken, toleratesMissingCollection: true)
                           .ConfigureAwait(false))
        {
            failures.Add(QdrantSyncPoints.ToFailure(point.Id, point.Payload));
        }
        return failures.OrderBy(f => f.DocumentId, StringComparer.Ordinal).ToList();
    }

    public async Task RecordFailureAsync(IngestFailure failure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(failure);
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var stamped = failure.FailedAt == default ? failure with { FailedAt = DateTimeOffset.UtcNow } : failure;
        await UpsertPointsAsync(Records, [QdrantSyncPoints.ToPoint(stamped)], $"remembering the failure of '{failure.DocumentId}'", cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<bool> ClearFailureAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        var id = QdrantSyncPoints.FailureId(documentId);
        if (await GetRecordAsync(id, $"reading the failure of '{documentId}'", cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }
        await DeletePointsAsync(Records, new PointsSelector { Points = new PointsIdsList { Ids = { id } } },
            $"forgetting the failure of '{documentId}'", cancellationToken, toleratesMissingCollection: true).ConfigureAwait(false);
        return true;
    }

    private async Task<RetrievedPoint?> GetRecordAsync(PointId id, string operation, CancellationToken cancellationToken)
    {
        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        return await GetPointAsync(Records, id, operation, toleratesMissingCollection: true, cancellationToken).ConfigureAwait(false);
    }
}

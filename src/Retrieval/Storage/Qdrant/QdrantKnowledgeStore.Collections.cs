using System.Globalization;
using Microsoft.Extensions.Logging;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Creating and checking the store's two collections, and the embedding model recorded in the
/// chunk collection's own metadata (set when the collection is created, so two processes that
/// create it at once cannot record different models).
/// </summary>
public sealed partial class QdrantKnowledgeStore
{
    public async Task InitializeAsync(int dimensions, string embeddingModel, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentException.ThrowIfNullOrWhiteSpace(embeddingModel);

        await _initialization.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
            var wanted = new QdrantStoreMetadata(embeddingModel, dimensions, QdrantSchema.LayoutVersion);
            var chunkInfo = await GetCollectionInfoAsync(Chunks, cancellationToken).ConfigureAwait(false);
            var recordInfo = await GetCollectionInfoAsync(Records, cancellationToken).ConfigureAwait(false);
            await RefuseHalfAPairAsync(chunkInfo, recordInfo, cancellationToken).ConfigureAwait(false);

            chunkInfo = await EnsureCollectionAsync(QdrantSchema.ChunkCollection(_options, wanted), chunkInfo, QdrantSchema.ChunkIndexedFields, cancellationToken)
                .ConfigureAwait(false);
            CheckChunkCollection(chunkInfo, dimensions, embeddingModel);
            recordInfo = await EnsureCollectionAsync(QdrantSchema.DocumentCollection(_options), recordInfo, QdrantSchema.DocumentIndexedFields, cancellationToken)
                .ConfigureAwait(false);
            CheckDocumentCollection(recordInfo);

            var recorded = await ReadMetadataAsync(chunkInfo, cancellationToken).ConfigureAwait(false);
            if (recorded is not null && recorded.EmbeddingModel != embeddingModel)
            {
                // Refused even while the collection is empty: it was set up for that model, and
                // silently switching would mix vector spaces as soon as two processes disagree.
                throw new KnowledgeStoreException(
                    $"Qdrant collection '{Chunks}' at {_endpoint} was created for the embedding model '{recorded.EmbeddingModel}', not '{embeddingModel}': "
                    + "use the same embedding model, another --collection, or delete this collection (and its '_documents' companion) and ingest again.");
            }

            if (QdrantSchema.RecordedMetadata(chunkInfo) != wanted)
            {
                // A collection of layout 1 kept the model in a point; it moves into the collection's metadata.
                await UpdateCollectionMetadataAsync(wanted, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// One collection of the pair is missing while the other holds points: recreating the missing
    /// one would hide the damage (without chunks every document reads as unchanged and is never
    /// written again; without records every chunk is an orphan). An empty survivor is a creation
    /// that was interrupted or is racing ours, and is completed.
    /// </summary>
    private async Task RefuseHalfAPairAsync(CollectionInfo? chunkInfo, CollectionInfo? recordInfo, CancellationToken cancellationToken)
    {
        if (chunkInfo is null && recordInfo is not null
            && await CountAsync(Records, QdrantFilters.DocumentRecords(), cancellationToken).ConfigureAwait(false) > 0)
        {
            throw new KnowledgeStoreException(
                $"Qdrant at {_endpoint} has the document records '{Records}' but not their chunk collection '{Chunks}' (deleted?): the documents would read as stored and never be written again. "
                + $"Delete '{Records}' too and ingest again, or restore '{Chunks}' from a snapshot.");
        }

        if (recordInfo is null && chunkInfo is not null
            && await CountAsync(Chunks, filter: null, cancellationToken).ConfigureAwait(false) > 0)
        {
            throw new KnowledgeStoreException(
                $"Qdrant at {_endpoint} has the chunk collection '{Chunks}' but not its document records '{Records}' (deleted?): its chunks would be searchable but listed nowhere. "
                + $"Delete '{Chunks}' too and ingest again, or restore '{Records}' from a snapshot.");
        }
    }

    /// <summary>Creates the collection unless it exists (another process may race us), then adds missing payload indexes.</summary>
    private async Task<CollectionInfo> EnsureCollectionAsync(CreateCollection create, CollectionInfo? info, IReadOnlyList<string> indexedFields, CancellationToken cancellationToken)
    {
        var name = create.CollectionName;
        if (info is null)
        {
            create.Timeout = _options.ServerTimeoutSeconds;
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
            var index = QdrantSchema.KeywordIndex(name, field, _ordering);
            index.Timeout = _options.ServerTimeoutSeconds;
            await _calls.RunAsync(
                $"indexing payload field '{field}'",
                name,
                async ct => (await _client.Points.CreateFieldIndexAsync(index, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
                cancellationToken).ConfigureAwait(false);
        }

        return info;
    }

    /// <summary>A collection kqa did not lay out is refused, rather than half-working (wrong scores, no lexical side).</summary>
    private void CheckChunkCollection(CollectionInfo info, int dimensions, string embeddingModel)
    {
        var dense = QdrantSchema.DenseParams(info);
        var sparse = QdrantSchema.SparseParams(info);
        if (dense is null || sparse is null)
        {
            throw new KnowledgeStoreException(
                $"Qdrant collection '{Chunks}' at {_endpoint} was not created by kqa (it lacks the '{QdrantSchema.DenseVector}' and '{QdrantSchema.SparseVector}' vectors): use another --collection.");
        }

        if (dense.Size != (ulong)dimensions)
        {
            throw new KnowledgeStoreException(string.Create(CultureInfo.InvariantCulture,
                $"Qdrant collection '{Chunks}' at {_endpoint} holds {dense.Size}-dimensional vectors, but the embedding model '{embeddingModel}' makes {dimensions}-dimensional ones: use another --collection for this model, or delete the collection (and its '_documents' companion) and ingest again."));
        }

        if (dense.Distance != Distance.Cosine)
        {
            throw new KnowledgeStoreException(
                $"Qdrant collection '{Chunks}' at {_endpoint} compares '{QdrantSchema.DenseVector}' vectors by {dense.Distance}, but kqa's scores are cosines: use another --collection, or delete this one (and its '_documents' companion) and ingest again.");
        }

        if (sparse.Modifier != Modifier.Idf)
        {
            throw new KnowledgeStoreException(
                $"Qdrant collection '{Chunks}' at {_endpoint} has the sparse vector '{QdrantSchema.SparseVector}' without the IDF modifier (found {sparse.Modifier}), so lexical scores would ignore term rarity: use another --collection, or delete this one (and its '_documents' companion) and ingest again.");
        }
    }

    private void CheckDocumentCollection(CollectionInfo info)
    {
        var vectors = info.Config?.Params?.VectorsConfig;
        if (vectors?.ConfigCase != VectorsConfig.ConfigOneofCase.Params || vectors.Params.Size != 1)
        {
            throw new KnowledgeStoreException(
                $"Qdrant collection '{Records}' at {_endpoint} is not a kqa document collection (kqa's has one unnamed 1-dimensional vector): use another --collection.");
        }
    }

    private async Task UpdateCollectionMetadataAsync(QdrantStoreMetadata metadata, CancellationToken cancellationToken)
    {
        var request = new UpdateCollection { CollectionName = Chunks, Timeout = _options.ServerTimeoutSeconds };
        QdrantDocumentPoints.WriteMetadata(request.Metadata, metadata);
        await _calls.RunAsync(
            "recording the embedding model in the collection's metadata",
            Chunks,
            async ct => (await _client.Collections.UpdateAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<CollectionInfo?> GetCollectionInfoAsync(string collection, CancellationToken cancellationToken) =>
        await _calls.RunAsync<CollectionInfo?>(
            "reading the collection's configuration",
            collection,
            async ct => (await _client.Collections.GetAsync(new GetCollectionInfoRequest { CollectionName = collection }, cancellationToken: ct, deadline: Deadline())
                .ConfigureAwait(false)).Result,
            cancellationToken,
            whenCollectionMissing: () => null).ConfigureAwait(false);

    /// <summary>The model the chunk collection records in its metadata, or (layout 1) in the metadata point of the documents collection.</summary>
    private async Task<QdrantStoreMetadata?> ReadMetadataAsync(CollectionInfo chunkInfo, CancellationToken cancellationToken)
    {
        if (QdrantSchema.RecordedMetadata(chunkInfo) is { } recorded)
        {
            return recorded;
        }

        var point = await GetPointAsync(Records, QdrantPointIds.Of(QdrantPointIds.Metadata), "reading the store's metadata", toleratesMissingCollection: true, cancellationToken)
            .ConfigureAwait(false);
        return point is null ? null : QdrantDocumentPoints.ToMetadata(point.Payload);
    }
}

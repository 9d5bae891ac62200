using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// The layout kqa gives its two Qdrant collections, and the requests that create them.
/// <list type="bullet">
/// <item>&lt;collection&gt;: one point per chunk, with the named dense vector "dense" (cosine) and
/// the named sparse vector "lexical" (IDF applied by Qdrant at query time), payload indexes on
/// document_id, tags and tenant.</item>
/// <item>&lt;collection&gt;_documents: one point per document record, source binding and remembered
/// failure; Qdrant requires a vector per point, so each carries a constant 1-dimensional vector
/// that is never searched.</item>
/// </list>
/// </summary>
internal static class QdrantSchema
{
    public const string DenseVector = "dense";
    public const string SparseVector = "lexical";

    /// <summary>
    /// Bumped when the layout changes. 2: chunk points carry a generation (and ids derived from
    /// it), the model lives in the chunk collection's metadata. Layout 1 collections are read and
    /// written on: their points count as generation 0, and their model record moves.
    /// </summary>
    public const int LayoutVersion = 2;

    /// <summary>The keyword-indexed payload fields of chunk points (filters run on them).</summary>
    public static IReadOnlyList<string> ChunkIndexedFields { get; } = [PayloadFields.DocumentId, PayloadFields.Tags, PayloadFields.Tenant, PayloadFields.TextHash];

    /// <summary>The keyword-indexed payload fields of the documents collection.</summary>
    public static IReadOnlyList<string> DocumentIndexedFields { get; } = [PayloadFields.Kind, PayloadFields.SourceName];

    public static CreateCollection ChunkCollection(QdrantStoreOptions options, QdrantStoreMetadata metadata)
    {
        var dense = new VectorParams { Size = (ulong)metadata.Dimensions, Distance = Distance.Cosine };
        if (options.OnDiskVectors)
        {
            // Both spellings: older servers know only on_disk, newer ones prefer memory (it wins when both are set).
#pragma warning disable CS0612
            dense.OnDisk = true;
#pragma warning restore CS0612
            dense.Memory = Memory.Cold;
        }

        var request = new CreateCollection
        {
            CollectionName = options.Collection,
            VectorsConfig = new VectorsConfig { ParamsMap = new VectorParamsMap { Map = { [DenseVector] = dense } } },
            SparseVectorsConfig = new SparseVectorConfig
            {
                Map = { [SparseVector] = new SparseVectorParams { Modifier = Modifier.Idf } },
            },
        };
        QdrantDocumentPoints.WriteMetadata(request.Metadata, metadata);

        if (options.ScalarQuantization)
        {
            // Quantile 0.99 clips outliers; the quantized copy stays in RAM even with on-disk originals.
            var scalar = new ScalarQuantization { Type = QuantizationType.Int8, Quantile = 0.99f, Memory = Memory.Pinned };
#pragma warning disable CS0612 // always_ram for servers that predate memory placement
            scalar.AlwaysRam = true;
#pragma warning restore CS0612
            request.QuantizationConfig = new QuantizationConfig { Scalar = scalar };
        }

        if (options.ShardNumber is { } shards)
        {
            request.ShardNumber = shards;
        }

        ApplyDistribution(request, options);
        return request;
    }

    public static CreateCollection DocumentCollection(QdrantStoreOptions options)
    {
        var request = new CreateCollection
        {
            CollectionName = options.DocumentsCollection,
            VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = 1, Distance = Distance.Dot } },
            ShardNumber = 1,
        };

        // One shard is plenty for a record per document; replicate it like the chunks so a node loss
        // does not hide the document list.
        ApplyDistribution(request, options);
        return request;
    }

    public static CreateFieldIndexCollection KeywordIndex(string collection, string field, WriteOrdering? ordering)
    {
        var request = new CreateFieldIndexCollection
        {
            CollectionName = collection,
            FieldName = field,
            FieldType = FieldType.Keyword,
            Wait = true,
        };

        if (field == PayloadFields.Tenant)
        {
            // Qdrant co-locates each tenant's points on disk, which speeds up per-tenant searches.
            request.FieldIndexParams = new PayloadIndexParams { KeywordIndexParams = new KeywordIndexParams { IsTenant = true } };
        }

        if (ordering is not null)
        {
            request.Ordering = ordering;
        }

        return request;
    }

    /// <summary>The collection's "dense" vector, or null when it has none (not a kqa collection).</summary>
    public static VectorParams? DenseParams(CollectionInfo info)
    {
        var vectors = info.Config?.Params?.VectorsConfig;
        return vectors?.ConfigCase == VectorsConfig.ConfigOneofCase.ParamsMap && vectors.ParamsMap.Map.TryGetValue(DenseVector, out var dense)
            ? dense
            : null;
    }

    /// <summary>The size of the collection's "dense" vector, or null when it has none.</summary>
    public static ulong? DenseSize(CollectionInfo info) => DenseParams(info)?.Size;

    /// <summary>The model the chunk collection's own metadata records, or null (layout 1, or not kqa's).</summary>
    public static QdrantStoreMetadata? RecordedMetadata(CollectionInfo info) =>
        info.Config?.Metadata is { } metadata ? QdrantDocumentPoints.ToMetadata(metadata) : null;

    public static SparseVectorParams? SparseParams(CollectionInfo info) =>
        info.Config?.Params?.SparseVectorsConfig?.Map.TryGetValue(SparseVector, out var sparse) == true ? sparse : null;

    public static WriteOrdering? Ordering(QdrantStoreOptions options) => options.WriteOrdering switch
    {
        null => null,
        QdrantWriteOrdering.Weak => new WriteOrdering { Type = WriteOrderingType.Weak },
        QdrantWriteOrdering.Medium => new WriteOrdering { Type = WriteOrderingType.Medium },
        QdrantWriteOrdering.Strong => new WriteOrdering { Type = WriteOrderingType.Strong },
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.WriteOrdering, "Unknown write ordering."),
    };

    public static ReadConsistency? Consistency(QdrantStoreOptions options) => options.ReadConsistency switch
    {
        null or QdrantReadConsistency.One => null,
        QdrantReadConsistency.Majority => new ReadConsistency { Type = ReadConsistencyType.Majority },
        QdrantReadConsistency.Quorum => new ReadConsistency { Type = ReadConsistencyType.Quorum },
        QdrantReadConsistency.All => new ReadConsistency { Type = ReadConsistencyType.All },
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.ReadConsistency, "Unknown read consistency."),
    };

    private static void ApplyDistribution(CreateCollection request, QdrantStoreOptions options)
    {
        if (options.ReplicationFactor is { } replicas)
        {
            request.ReplicationFactor = replicas;
        }

        if (options.WriteConsistencyFactor is { } writeConsistency)
        {
            request.WriteConsistencyFactor = writeConsistency;
        }

        if (options.OnDiskPayload)
        {
#pragma warning disable CS0612 // on_disk_payload for servers that predate memory placement
            request.OnDiskPayload = true;
#pragma warning restore CS0612
            request.Payload = new PayloadStorageParams { Memory = Memory.Cold };
        }
    }
}

/// <summary>Payload keys of kqa's points (snake_case, as Qdrant users expect).</summary>
internal static class PayloadFields
{
    public const string Kind = "kind";
    public const string DocumentId = "document_id";
    public const string ChunkId = "chunk_id";
    public const string Index = "index";
    public const string Text = "text";
    public const string Start = "start";
    public const string End = "end";
    public const string Headings = "headings";
    public const string Page = "page";
    public const string TokenCount = "token_count";
    public const string Source = "source";
    public const string Title = "title";
    public const string Tags = "tags";
    public const string Tenant = "tenant";
    public const string ContentHash = "content_hash";
    public const string ChunkCount = "chunk_count";
    public const string IngestedAt = "ingested_at";
    public const string EmbeddingModel = "embedding_model";
    public const string Dimensions = "dimensions";
    public const string LayoutVersion = "layout_version";
    /// <summary>The chunk text's hash: vectors are reused by it (keyword-indexed on chunk points).</summary>
    public const string TextHash = "text_hash";
    public const string SourceName = "source_name";
    public const string FileFingerprint = "file_fingerprint";
    public const string SourceKind = "source_kind";
    public const string Root = "root";
    public const string BoundAt = "bound_at";
    public const string Path = "path";
    public const string FileHash = "file_hash";
    public const string Reason = "reason";
    public const string FailedAt = "failed_at";
    /// <summary>The write that produced a chunk point or record (see <see cref="QdrantGenerations"/>); integer-indexed on chunk points.</summary>
    public const string Generation = "generation";

    public const string DocumentKind = "document";
    public const string MetadataKind = "store";
    /// <summary>A source binding (name to root) in the documents collection.</summary>
    public const string SourceRecordKind = "source";
    /// <summary>A remembered ingest failure in the documents collection.</summary>
    public const string FailureKind = "failure";
}

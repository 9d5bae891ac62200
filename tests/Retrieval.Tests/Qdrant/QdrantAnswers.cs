using Google.Protobuf;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Qdrant.Client.Grpc;
using QdrantSparse = Qdrant.Client.Grpc.SparseVector;
using SparseVector = KnowledgeQa.Retrieval.Lexical.SparseVector;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>Answers a test scripts for the recording invoker, and the data the tests write.</summary>
internal static class QdrantAnswers
{
    public const string Model = "test-model";
    public const int Dimensions = 4;

    /// <summary>The generation the tests' hand-made points carry.</summary>
    public const long Generation = 1_700_000_000_000_000;

    public static HealthCheckReply Healthy(string version = "1.16.2") => new() { Title = "qdrant", Version = version };

    public static PointsOperationResponse Completed() => new() { Result = new UpdateResult { Status = UpdateStatus.Completed } };

    public static CollectionOperationResponse Done() => new() { Result = true };

    /// <summary>A kqa chunk collection as Qdrant describes it, with its payload indexes in place and the model in its metadata.</summary>
    public static GetCollectionInfoResponse ChunkCollection(ulong denseSize, params string[] indexedFields) =>
        ChunkCollectionFor(Model, denseSize, indexedFields);

    public static GetCollectionInfoResponse ChunkCollectionFor(string model, ulong denseSize, params string[] indexedFields)
    {
        var response = LegacyChunkCollection(denseSize, indexedFields);
        QdrantDocumentPoints.WriteMetadata(response.Result.Config.Metadata, new QdrantStoreMetadata(model, (int)denseSize, QdrantSchema.LayoutVersion));
        return response;
    }

    /// <summary>A chunk collection of layout 1: the model was recorded in a point, not in the collection's metadata.</summary>
    public static GetCollectionInfoResponse LegacyChunkCollection(ulong denseSize, params string[] indexedFields)
    {
        var config = new CollectionParams
        {
            VectorsConfig = new VectorsConfig
            {
                ParamsMap = new VectorParamsMap { Map = { ["dense"] = new VectorParams { Size = denseSize, Distance = Distance.Cosine } } },
            },
            SparseVectorsConfig = new SparseVectorConfig { Map = { ["lexical"] = new SparseVectorParams { Modifier = Modifier.Idf } } },
        };
        var info = new CollectionInfo { Config = new CollectionConfig { Params = config } };
        foreach (var field in indexedFields)
        {
            info.PayloadSchema[field] = new PayloadSchemaInfo { DataType = PayloadSchemaType.Keyword };
        }

        return new GetCollectionInfoResponse { Result = info };
    }

    public static GetCollectionInfoResponse DocumentCollection(bool indexed = true)
    {
        var info = new CollectionInfo
        {
            Config = new CollectionConfig
            {
                Params = new CollectionParams { VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = 1, Distance = Distance.Dot } } },
            },
        };
        if (indexed)
        {
            info.PayloadSchema["kind"] = new PayloadSchemaInfo { DataType = PayloadSchemaType.Keyword };
            info.PayloadSchema["source_name"] = new PayloadSchemaInfo { DataType = PayloadSchemaType.Keyword };
        }

        return new GetCollectionInfoResponse { Result = info };
    }

    public static GetResponse Points(params PointStruct[] points)
    {
        var response = new GetResponse();
        response.Result.Add(points.Select(Retrieved));
        return response;
    }

    public static GetResponse MetadataPoint(string model = Model, int dimensions = Dimensions) =>
        Points(QdrantDocumentPoints.ToPoint(new QdrantStoreMetadata(model, dimensions, 1)));

    /// <summary>
    /// Answers a record read with the record the store last wrote to the documents collection (or
    /// none): lets a test follow a write past its read-back without knowing the generation chosen.
    /// </summary>
    public static Func<IMessage, IMessage> LastWrittenRecord(RecordingCallInvoker invoker) => _ =>
    {
        var last = invoker.Requests<UpsertPoints>("/qdrant.Points/Upsert").LastOrDefault(u => u.CollectionName.EndsWith("_documents", StringComparison.Ordinal));
        return last is null ? Points() : Points(last.Points[0]);
    };

    public static ListCollectionsResponse CollectionsNamed(params string[] names)
    {
        var response = new ListCollectionsResponse();
        response.Collections.Add(names.Select(n => new CollectionDescription { Name = n }));
        return response;
    }

    public static CountResponse CountOf(ulong count) => new() { Result = new CountResult { Count = count } };

    /// <summary>What Qdrant returns for a stored point: the same id, payload and vectors, in output shape.</summary>
    public static RetrievedPoint Retrieved(PointStruct point)
    {
        var retrieved = new RetrievedPoint { Id = point.Id };
        retrieved.Payload.Add(point.Payload);
        if (point.Vectors?.VectorsOptionsCase == Vectors.VectorsOptionsOneofCase.Vectors_)
        {
            var named = new NamedVectorsOutput();
            foreach (var (name, vector) in point.Vectors.Vectors_.Vectors)
            {
                named.Vectors[name] = vector.VectorCase == Vector.VectorOneofCase.Sparse
                    ? new VectorOutput { Sparse = new QdrantSparse { Indices = { vector.Sparse.Indices }, Values = { vector.Sparse.Values } } }
                    : new VectorOutput { Dense = new DenseVector { Data = { vector.Dense.Data } } };
            }

            retrieved.Vectors = new VectorsOutput { Vectors = named };
        }

        return retrieved;
    }

    /// <summary>A candidate as the store asks for them: id, score and the three payload fields it selects.</summary>
    public static ScoredPoint Candidate(PointStruct point, float score)
    {
        var scored = new ScoredPoint { Id = point.Id, Score = score };
        foreach (var field in new[] { "document_id", "chunk_id", "generation" })
        {
            scored.Payload[field] = point.Payload[field];
        }

        return scored;
    }

    /// <summary>A batch answer: one result list per query of the batch, in order.</summary>
    public static QueryBatchResponse Batch(params ScoredPoint[][] results)
    {
        var response = new QueryBatchResponse();
        foreach (var result in results)
        {
            var batch = new BatchResult();
            batch.Result.Add(result);
            response.Result.Add(batch);
        }

        return response;
    }

    public static ScoredPoint Scored(PointStruct point, float score, bool withDenseVector = false, bool withPayload = true)
    {
        var scored = new ScoredPoint { Id = point.Id, Score = score };
        if (withPayload)
        {
            scored.Payload.Add(point.Payload);
        }
        if (withDenseVector)
        {
            scored.Vectors = Retrieved(point).Vectors;
            scored.Vectors.Vectors.Vectors.Remove("lexical");
        }

        return scored;
    }

    public static StoredDocument Document(string id = "guide.md", string? tenant = null, params string[] tags) => new()
    {
        Id = id,
        Source = "docs/" + id,
        Title = "Guide",
        ContentHash = "hash-" + id,
        Tags = tags,
        Tenant = tenant,
        IngestedAt = new DateTimeOffset(2025, 3, 1, 12, 30, 0, TimeSpan.FromHours(2)),
    };

    public static IReadOnlyList<IndexedChunk> Chunks(string documentId, int count, int dimensions = Dimensions) =>
        Enumerable.Range(0, count).Select(i => MakeChunk(documentId, i, $"Passage {i} of {documentId}.", dimensions)).ToArray();

    public static IndexedChunk MakeChunk(string documentId, int index, string text, int dimensions = Dimensions)
    {
        var chunk = new Chunk
        {
            Id = KnowledgeQa.Retrieval.Chunking.Chunk.CreateId(documentId, index, text),
            DocumentId = documentId,
            Index = index,
            Text = text,
            Start = index * 100,
            End = index * 100 + text.Length,
            Headings = ["Intro", "Details"],
            Page = index % 2 == 0 ? index + 1 : null,
            TokenCount = 7 + index,
        };
        var vector = Enumerable.Range(0, dimensions).Select(d => (float)Math.Sin(index + d + 1)).ToArray();
        var sparse = new SparseVector([(uint)(10 + index), 99u], [1.5f, 0.5f]);
        return new IndexedChunk(chunk, vector, sparse);
    }

    public static T Clone<T>(T message) where T : IMessage<T>, new() => new MessageParser<T>(() => new T()).ParseFrom(message.ToByteArray());

    /// <summary>A chunk point as the repair scrolls it: id, document id and generation only.</summary>
    public static RetrievedPoint Slim(string documentId, long generation)
    {
        var point = new RetrievedPoint { Id = QdrantPointIds.Of(Guid.NewGuid()) };
        point.Payload["document_id"] = new Value { StringValue = documentId };
        point.Payload["generation"] = new Value { IntegerValue = generation };
        return point;
    }
}

using System.Globalization;
using KnowledgeQa.Retrieval.Chunking;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Maps a chunk (with its vectors and its document's metadata) to a Qdrant point and back. The
/// document's source, title, tags, tenant and content hash are copied onto every chunk so that
/// filters and search results need no second lookup.
/// </summary>
internal static class QdrantChunkPoints
{
    public static PointStruct ToPoint(StoredDocument document, IndexedChunk indexed, long generation)
    {
        var chunk = indexed.Chunk;
        var point = new PointStruct { Id = QdrantPointIds.ForChunk(chunk.Id, generation), Vectors = new Vectors { Vectors_ = new NamedVectors() } };

        var dense = new Vector { Dense = new DenseVector() };
        dense.Dense.Data.Add(indexed.Vector.ToArray());
        point.Vectors.Vectors_.Vectors.Add(QdrantSchema.DenseVector, dense);

        // An empty sparse vector (a chunk of only stop characters) is left out rather than sent empty.
        if (indexed.Sparse.Count > 0)
        {
            point.Vectors.Vectors_.Vectors.Add(QdrantSchema.SparseVector, new Vector { Sparse = QdrantSparseVectors.ToQdrant(indexed.Sparse) });
        }

        var payload = point.Payload;
        QdrantDocumentPoints.WriteDocumentFields(payload, document);
        payload[PayloadFields.DocumentId] = Payload.Str(chunk.DocumentId);
        payload[PayloadFields.ChunkId] = Payload.Str(chunk.Id);
        payload[PayloadFields.Index] = Payload.Int(chunk.Index);
        payload[PayloadFields.Text] = Payload.Str(chunk.Text);
        payload[PayloadFields.TextHash] = Payload.Str(indexed.TextHash);
        payload[PayloadFields.Start] = Payload.Int(chunk.Start);
        payload[PayloadFields.End] = Payload.Int(chunk.End);
        payload[PayloadFields.Headings] = Payload.List(chunk.Headings);
        if (chunk.Page is { } page)
        {
            payload[PayloadFields.Page] = Payload.Int(page);
        }

        payload[PayloadFields.TokenCount] = Payload.Int(chunk.TokenCount);
        payload[PayloadFields.Generation] = Payload.Int(generation);
        return point;
    }

    /// <summary>The write a stored point came from; <see cref="QdrantGenerations.Legacy"/> for points written before generations.</summary>
    public static long GenerationOf(Google.Protobuf.Collections.MapField<string, Value> payload) =>
        Payload.Integer(payload, PayloadFields.Generation) ?? QdrantGenerations.Legacy;

    public static Chunk ToChunk(PointId id, Google.Protobuf.Collections.MapField<string, Value> payload)
    {
        var page = Payload.Integer(payload, PayloadFields.Page);
        return new Chunk
        {
            Id = Payload.String(payload, PayloadFields.ChunkId) ?? QdrantPointIds.Format(id),
            DocumentId = Payload.RequiredString(payload, PayloadFields.DocumentId, id),
            Index = Payload.RequiredInt(payload, PayloadFields.Index, id),
            Text = Payload.RequiredString(payload, PayloadFields.Text, id),
            Start = Payload.RequiredInt(payload, PayloadFields.Start, id),
            End = Payload.RequiredInt(payload, PayloadFields.End, id),
            Headings = Payload.Strings(payload, PayloadFields.Headings),
            Page = page is null ? null : (int)page.Value,
            TokenCount = (int)(Payload.Integer(payload, PayloadFields.TokenCount) ?? 0),
        };
    }

    /// <summary>A stored point back to an <see cref="IndexedChunk"/> (needs both vectors requested).</summary>
    public static IndexedChunk ToIndexedChunk(RetrievedPoint point)
    {
        var chunk = ToChunk(point.Id, point.Payload);
        VectorOutput? dense = null;
        VectorOutput? sparse = null;
        if (point.Vectors?.VectorsOptionsCase == VectorsOutput.VectorsOptionsOneofCase.Vectors)
        {
            point.Vectors.Vectors.Vectors.TryGetValue(QdrantSchema.DenseVector, out dense);
            point.Vectors.Vectors.Vectors.TryGetValue(QdrantSchema.SparseVector, out sparse);
        }

        var denseData = dense?.GetDenseVector()?.Data.ToArray()
            ?? throw new KnowledgeStoreException(
                string.Create(CultureInfo.InvariantCulture, $"Qdrant point {QdrantPointIds.Format(point.Id)} (chunk {chunk.Index} of '{chunk.DocumentId}') has no '{QdrantSchema.DenseVector}' vector: the collection was not written by kqa."));
        return new IndexedChunk(chunk, denseData, QdrantSparseVectors.FromQdrant(sparse?.GetSparseVector()));
    }
}

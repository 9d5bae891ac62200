using System.Numerics.Tensors;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>Maps Qdrant's scored points to <see cref="SearchHit"/>s, the shape every store returns.</summary>
internal static class QdrantSearchHits
{
    public static SearchHit ToHit(ScoredPoint point, SearchMode mode, double? denseScore = null, double? lexicalScore = null)
    {
        var payload = point.Payload;
        return new SearchHit
        {
            Chunk = QdrantChunkPoints.ToChunk(point.Id, payload),
            Source = Payload.RequiredString(payload, PayloadFields.Source, point.Id),
            Title = Payload.String(payload, PayloadFields.Title),
            Tags = Payload.Strings(payload, PayloadFields.Tags),
            Score = point.Score,
            DenseScore = mode == SearchMode.Dense ? point.Score : denseScore,
            LexicalScore = mode == SearchMode.Lexical ? point.Score : lexicalScore,
        };
    }

    /// <summary>
    /// Fused hits with both raw scores: the cosine between the query and the hit's returned dense
    /// vector, and the lexical score looked up by point id (absent when the hit shares no term).
    /// </summary>
    public static IReadOnlyList<SearchHit> FromHybrid(
        IReadOnlyList<ScoredPoint> fused, ReadOnlyMemory<float> queryVector, IReadOnlyDictionary<string, double> lexicalScores) =>
        fused.Select(point => ToHit(
                point,
                SearchMode.Hybrid,
                Cosine(queryVector.Span, point),
                lexicalScores.TryGetValue(QdrantPointIds.Format(point.Id), out var lexical) ? lexical : null))
            .ToArray();

    /// <summary>The point's cosine similarity to the query, or null when no query vector or no returned vector.</summary>
    public static double? Cosine(ReadOnlySpan<float> query, ScoredPoint point)
    {
        if (query.IsEmpty
            || point.Vectors?.VectorsOptionsCase != VectorsOutput.VectorsOptionsOneofCase.Vectors
            || !point.Vectors.Vectors.Vectors.TryGetValue(QdrantSchema.DenseVector, out var output)
            || output.GetDenseVector() is not { } dense
            || dense.Data.Count != query.Length)
        {
            return null;
        }

        var stored = dense.Data.ToArray();
        return TensorPrimitives.CosineSimilarity(query, stored);
    }

    public static Dictionary<string, double> ScoresById(IEnumerable<ScoredPoint> points) =>
        points.ToDictionary(p => QdrantPointIds.Format(p.Id), p => (double)p.Score);
}

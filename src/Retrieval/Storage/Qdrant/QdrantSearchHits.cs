using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>Chooses the hits among Qdrant's candidates and maps them to <see cref="SearchHit"/>s, the shape every store returns.</summary>
internal static class QdrantSearchHits
{
    /// <summary>
    /// The candidates that belong to their document's current version (the record's generation;
    /// others are a write in progress, an interrupted one, or the leftovers of one that lost), best
    /// first, ties broken by chunk id as the order Qdrant returns ties in is not fixed.
    /// </summary>
    public static IReadOnlyList<ScoredPoint> Rank(IEnumerable<ScoredPoint> candidates, IReadOnlyDictionary<string, long> currentGenerations, int top) =>
        candidates
            .Where(p => Payload.String(p.Payload, PayloadFields.DocumentId) is { } document
                && currentGenerations.TryGetValue(document, out var current)
                && QdrantChunkPoints.GenerationOf(p.Payload) == current)
            .OrderByDescending(p => p.Score)
            .ThenBy(p => Payload.String(p.Payload, PayloadFields.ChunkId), StringComparer.Ordinal)
            .Take(top)
            .ToArray();

    public static SearchHit ToHit(PointId id, MapField<string, Value> payload, double score, double? denseScore, double? lexicalScore) => new()
    {
        Chunk = QdrantChunkPoints.ToChunk(id, payload),
        Source = Payload.RequiredString(payload, PayloadFields.Source, id),
        Title = Payload.String(payload, PayloadFields.Title),
        Tags = Payload.Strings(payload, PayloadFields.Tags),
        Score = score,
        DenseScore = denseScore,
        LexicalScore = lexicalScore,
    };

    public static Dictionary<string, ScoredPoint> ById(IEnumerable<ScoredPoint> points) =>
        points.ToDictionary(p => QdrantPointIds.Format(p.Id), StringComparer.Ordinal);
}

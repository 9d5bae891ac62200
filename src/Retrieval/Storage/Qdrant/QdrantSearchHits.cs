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

    /// <summary>The hybrid batch's results: fused hits, each with the side scores of the lists it came from.</summary>
    public static IReadOnlyList<SearchHit> FromHybrid(QdrantHybridBatch request, IReadOnlyList<BatchResult> batch)
    {
        if (batch.Count != request.Request.QueryPoints.Count)
        {
            throw new KnowledgeStoreException(
                $"Qdrant answered a batch of {request.Request.QueryPoints.Count} queries with {batch.Count} results.");
        }

        var dense = ScoresById(batch, request.DenseIndex);
        var lexical = ScoresById(batch, request.LexicalIndex);
        return batch[QdrantHybridBatch.FusedIndex].Result
            .Select(point =>
            {
                var id = QdrantPointIds.Format(point.Id);
                return ToHit(
                    point,
                    SearchMode.Hybrid,
                    dense.TryGetValue(id, out var d) ? d : null,
                    lexical.TryGetValue(id, out var l) ? l : null);
            })
            .ToArray();
    }

    private static Dictionary<string, double> ScoresById(IReadOnlyList<BatchResult> batch, int? index) =>
        index is { } i
            ? batch[i].Result.ToDictionary(p => QdrantPointIds.Format(p.Id), p => (double)p.Score)
            : [];
}

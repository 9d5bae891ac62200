using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Evaluation;

/// <summary>
/// Runs a dataset's queries against an already-ingested knowledge base and scores the ranking of
/// documents (a document ranks where its best chunk ranks).
/// </summary>
public sealed class RetrievalEvaluator(IKnowledgeRetriever retriever)
{
    /// <summary>Chunks fetched per query so that ten distinct documents remain after merging chunks.</summary>
    public int ChunksPerQuery { get; init; } = 40;

    public async Task<RetrievalMetrics> EvaluateAsync(
        IReadOnlyList<EvaluationQuery> queries,
        SearchMode mode,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var scores = new List<(double, double, double, double)>(queries.Count);
        foreach (var query in queries)
        {
            var hits = await retriever.SearchAsync(query.Text, new RetrievalOptions { Top = ChunksPerQuery, Mode = mode }, cancellationToken)
                .ConfigureAwait(false);
            var ranked = hits.Select(h => h.Chunk.DocumentId).Distinct().Take(10).ToList();
            scores.Add(RetrievalMetrics.Score(ranked, query.RelevantDocumentIds));
            progress?.Report(scores.Count);
        }
        return RetrievalMetrics.Average(scores);
    }
}

namespace KnowledgeQa.Retrieval.Evaluation;

/// <summary>Averages of the standard ranking metrics over a query set (binary relevance).</summary>
public sealed record RetrievalMetrics(int Queries, double RecallAt5, double RecallAt10, double MrrAt10, double NdcgAt10)
{
    /// <summary>Scores one ranked list of document ids against the relevant ones.</summary>
    public static (double Recall5, double Recall10, double Mrr10, double Ndcg10) Score(IReadOnlyList<string> ranked, IReadOnlySet<string> relevant)
    {
        if (relevant.Count == 0)
            return (0, 0, 0, 0);

        double Recall(int k) => (double)ranked.Take(k).Count(relevant.Contains) / relevant.Count;

        var mrr = 0.0;
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(10, ranked.Count); i++)
        {
            if (!relevant.Contains(ranked[i]))
                continue;
            if (mrr == 0)
                mrr = 1.0 / (i + 1);
            dcg += 1.0 / Math.Log2(i + 2);
        }
        var idealDcg = Enumerable.Range(0, Math.Min(10, relevant.Count)).Sum(i => 1.0 / Math.Log2(i + 2));
        return (Recall(5), Recall(10), mrr, dcg / idealDcg);
    }

    public static RetrievalMetrics Average(IReadOnlyList<(double Recall5, double Recall10, double Mrr10, double Ndcg10)> scores) =>
        scores.Count == 0
            ? new RetrievalMetrics(0, 0, 0, 0, 0)
            : new RetrievalMetrics(
                scores.Count,
                scores.Average(s => s.Recall5),
                scores.Average(s => s.Recall10),
                scores.Average(s => s.Mrr10),
                scores.Average(s => s.Ndcg10));
}

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// Reciprocal rank fusion: each list gives an item 1 / (k + rank), rank counted from 1, and the
/// sums order the fused list. Ranks only, so cosine and BM25 scores need no common scale.
/// </summary>
internal static class ReciprocalRankFusion
{
    public static List<(long Item, double Score)> Fuse(int k, params IReadOnlyList<long>[] rankings)
    {
        var scores = new Dictionary<long, double>();
        foreach (var ranking in rankings)
        {
            for (var i = 0; i < ranking.Count; i++)
            {
                scores[ranking[i]] = scores.GetValueOrDefault(ranking[i]) + 1.0 / (k + i + 1);
            }
        }
        var fused = scores.Select(pair => (pair.Key, pair.Value)).ToList();
        // Ties (an item first in one list, another first in the other) keep the earlier stored chunk first.
        fused.Sort(static (a, b) => b.Value != a.Value ? b.Value.CompareTo(a.Value) : a.Key.CompareTo(b.Key));
        return fused;
    }
}

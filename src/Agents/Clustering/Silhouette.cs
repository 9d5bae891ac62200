namespace KnowledgeQa.Agents.Clustering;

/// <summary>
/// The mean silhouette coefficient (Rousseeuw 1987): for each point, how much closer it is to its own
/// cluster than to the nearest other one, from -1 (wrong cluster) to 1 (tight, well separated).
/// Costs O(n²) distances, so above <c>maxSample</c> points it is computed on a seeded sample.
/// </summary>
public static class Silhouette
{
    public static double Score(IReadOnlyList<float[]> points, IReadOnlyList<int> assignments, int maxSample = 1500, int seed = 42)
    {
        if (points.Count != assignments.Count) throw new ArgumentException("One assignment per point is needed.", nameof(assignments));
        var indices = Enumerable.Range(0, points.Count).ToArray();
        if (indices.Length > maxSample)
        {
            new Random(seed).Shuffle(indices);
            indices = indices[..maxSample];
        }
        var k = assignments.Max() + 1;
        if (k < 2) return 0;

        var total = 0.0;
        var sums = new double[k];
        var counts = new int[k];
        foreach (var i in indices)
        {
            Array.Clear(sums);
            Array.Clear(counts);
            foreach (var j in indices)
            {
                if (i == j) continue;
                sums[assignments[j]] += Math.Sqrt(KMeans.SquaredDistance(points[i], points[j]));
                counts[assignments[j]]++;
            }
            var own = assignments[i];
            if (counts[own] == 0) continue; // a singleton scores 0 by definition
            var a = sums[own] / counts[own];
            var b = double.PositiveInfinity;
            for (var c = 0; c < k; c++)
                if (c != own && counts[c] > 0) b = Math.Min(b, sums[c] / counts[c]);
            if (double.IsPositiveInfinity(b)) continue;
            var denominator = Math.Max(a, b);
            total += denominator > 0 ? (b - a) / denominator : 0;
        }
        return total / indices.Length;
    }
}

using System.Numerics.Tensors;

namespace KnowledgeQa.Agents.Clustering;

/// <summary>The outcome of one k-means fit: a cluster per point, the centroids and the within-cluster sum of squares.</summary>
public sealed record KMeansResult(int[] Assignments, float[][] Centroids, double Inertia);

/// <summary>
/// k-means with k-means++ seeding (Arthur and Vassilvitskii 2007) and Lloyd iterations, restarted a few
/// times from different seeds derived from one fixed seed; the fit with the lowest inertia wins, so
/// the same input always gives the same clusters.
/// </summary>
public static class KMeans
{
    public static KMeansResult Fit(IReadOnlyList<float[]> points, int k, int seed = 42, int restarts = 3, int maxIterations = 100, CancellationToken cancellationToken = default)
    {
        if (points.Count == 0) throw new ArgumentException("k-means needs at least one point.", nameof(points));
        if (k < 1 || k > points.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie between 1 and the number of points ({points.Count}).");
        KMeansResult? best = null;
        for (var r = 0; r < Math.Max(1, restarts); r++)
        {
            var result = FitOnce(points, k, new Random(HashCode.Combine(seed, r)), maxIterations, cancellationToken);
            if (best is null || result.Inertia < best.Inertia) best = result;
        }
        return best!;
    }

    private static KMeansResult FitOnce(IReadOnlyList<float[]> points, int k, Random random, int maxIterations, CancellationToken cancellationToken)
    {
        var n = points.Count;
        var d = points[0].Length;
        var centroids = SeedPlusPlus(points, k, random);
        var assignments = new int[n];
        Array.Fill(assignments, -1);
        var distances = new double[n];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var changed = false;
            for (var i = 0; i < n; i++)
            {
                var (nearest, distance) = Nearest(points[i], centroids);
                distances[i] = distance;
                if (nearest != assignments[i]) { assignments[i] = nearest; changed = true; }
            }
            if (!changed) break;

            var sums = new float[k][];
            var counts = new int[k];
            for (var c = 0; c < k; c++) sums[c] = new float[d];
            for (var i = 0; i < n; i++)
            {
                TensorPrimitives.Add(sums[assignments[i]], points[i], sums[assignments[i]]);
                counts[assignments[i]]++;
            }
            for (var c = 0; c < k; c++)
            {
                if (counts[c] > 0)
                {
                    TensorPrimitives.Divide(sums[c], counts[c], sums[c]);
                    centroids[c] = sums[c];
                    continue;
                }
                // An emptied cluster restarts at the point worst served by its centroid.
                var far = Array.IndexOf(distances, distances.Max());
                centroids[c] = (float[])points[far].Clone();
                distances[far] = 0;
            }
        }
        var inertia = 0.0;
        for (var i = 0; i < n; i++) inertia += SquaredDistance(points[i], centroids[assignments[i]]);
        return new KMeansResult(assignments, centroids, inertia);
    }

    /// <summary>The first centre uniformly at random, each next one with probability proportional to its squared distance from the nearest chosen centre.</summary>
    private static float[][] SeedPlusPlus(IReadOnlyList<float[]> points, int k, Random random)
    {
        var centroids = new List<float[]> { (float[])points[random.Next(points.Count)].Clone() };
        var nearest = points.Select(p => SquaredDistance(p, centroids[0])).ToArray();
        while (centroids.Count < k)
        {
            var total = nearest.Sum();
            var next = 0;
            if (total <= 0) next = random.Next(points.Count); // all points coincide with centres
            else
            {
                var target = random.NextDouble() * total;
                for (var cumulative = 0.0; next < points.Count - 1; next++)
                {
                    cumulative += nearest[next];
                    if (cumulative >= target) break;
                }
            }
            var centre = (float[])points[next].Clone();
            centroids.Add(centre);
            for (var i = 0; i < points.Count; i++) nearest[i] = Math.Min(nearest[i], SquaredDistance(points[i], centre));
        }
        return centroids.ToArray();
    }

    internal static (int Index, double Distance) Nearest(float[] point, float[][] centroids)
    {
        var best = 0;
        var bestDistance = double.PositiveInfinity;
        for (var c = 0; c < centroids.Length; c++)
        {
            var distance = SquaredDistance(point, centroids[c]);
            if (distance < bestDistance) { bestDistance = distance; best = c; }
        }
        return (best, bestDistance);
    }

    internal static double SquaredDistance(float[] a, float[] b)
    {
        var distance = TensorPrimitives.Distance(a, b);
        return (double)distance * distance;
    }
}

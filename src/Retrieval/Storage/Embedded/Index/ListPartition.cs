using System.Numerics.Tensors;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>
/// Splits the vector space into lists (the inverted-file layout of dense search): each row goes
/// to the list of its nearest centroid, and a query scans the rows of the lists whose centroids
/// are nearest to it. Centroids come from spherical k-means on a sample, in two levels (about
/// √lists coarse clusters, each split into fine ones in proportion to its share of the sample),
/// so that training and assigning a million rows costs a few dozen dot products per row instead
/// of one per list. Deterministic for a given sample and seed.
/// </summary>
internal sealed class ListPartition
{
    private const int Iterations = 10;
    /// <summary>Coarse clusters whose fine lists a row's assignment considers.</summary>
    private const int CoarseProbes = 4;
    private readonly int _dimensions;
    private readonly float[] _coarse;
    private readonly int[] _fineStarts;

    private ListPartition(int dimensions, float[] coarse, int[] fineStarts, float[] centroids)
    {
        _dimensions = dimensions;
        _coarse = coarse;
        _fineStarts = fineStarts;
        Centroids = centroids;
    }

    /// <summary>Unit centroids of the lists, row after row.</summary>
    public float[] Centroids { get; }

    public int Lists => Centroids.Length / _dimensions;

    /// <summary>A list count that keeps lists near √rows long (a few hundred to a few thousand rows each).</summary>
    public static int ListsFor(int rows) => Math.Clamp((int)Math.Round(Math.Sqrt(rows)), 1, 65_536);

    /// <summary>Trains the centroids on a sample of unit vectors (rows of <paramref name="sample"/>).</summary>
    public static ListPartition Train(float[] sample, int dimensions, int lists, int seed)
    {
        var rows = sample.Length / dimensions;
        lists = Math.Max(1, Math.Min(lists, rows));
        var random = new Random(seed);
        var coarseCount = lists < 64 ? lists : (int)Math.Round(Math.Sqrt(lists));
        var all = Enumerable.Range(0, rows).ToArray();
        var (coarse, members) = KMeans(sample, dimensions, all, coarseCount, random);
        if (coarseCount == lists)
        {
            return new ListPartition(dimensions, coarse, [.. Enumerable.Range(0, lists + 1)], coarse);
        }

        var allocation = Allocate(members.Select(m => m.Length).ToArray(), lists);
        var fineStarts = new int[coarseCount + 1];
        var centroids = new float[lists * dimensions];
        for (var c = 0; c < coarseCount; c++)
        {
            fineStarts[c + 1] = fineStarts[c] + allocation[c];
            if (allocation[c] == 0)
            {
                continue;
            }
            var (fine, _) = KMeans(sample, dimensions, members[c], allocation[c], random);
            fine.CopyTo(centroids, fineStarts[c] * dimensions);
        }
        return new ListPartition(dimensions, coarse, fineStarts, centroids);
    }

    /// <summary>
    /// The list of a unit vector: the nearest fine centroid within its few nearest coarse clusters.
    /// Searches rank lists by their own centroids, so a row must sit in the list whose centroid is
    /// nearest overall; looking only inside the single nearest coarse cluster misplaces the rows near
    /// its borders, and those are then missed.
    /// </summary>
    public int Assign(ReadOnlySpan<float> vector)
    {
        var coarseCount = _fineStarts.Length - 1;
        if (coarseCount == Lists)
        {
            return Nearest(Centroids, vector, 0, Lists);
        }
        Span<float> coarseScores = coarseCount <= 1024 ? stackalloc float[coarseCount] : new float[coarseCount];
        for (var c = 0; c < coarseCount; c++)
        {
            coarseScores[c] = TensorPrimitives.Dot(_coarse.AsSpan(c * _dimensions, _dimensions), vector);
        }
        var best = -1;
        var bestScore = float.NegativeInfinity;
        for (var probe = 0; probe < Math.Min(CoarseProbes, coarseCount); probe++)
        {
            var coarse = TensorPrimitives.IndexOfMax(coarseScores);
            coarseScores[coarse] = float.NegativeInfinity;
            for (var list = _fineStarts[coarse]; list < _fineStarts[coarse + 1]; list++)
            {
                var score = TensorPrimitives.Dot(Centroids.AsSpan(list * _dimensions, _dimensions), vector);
                if (score > bestScore)
                {
                    bestScore = score;
                    best = list;
                }
            }
        }
        // Coarse clusters given no fine lists (no sample rows) leave nothing found: take the nearest list overall.
        return best >= 0 ? best : Nearest(Centroids, vector, 0, Lists);
    }

    private int Nearest(float[] centroids, ReadOnlySpan<float> vector, int first, int end)
    {
        var best = first;
        var bestScore = float.NegativeInfinity;
        for (var c = first; c < end; c++)
        {
            var score = TensorPrimitives.Dot(centroids.AsSpan(c * _dimensions, _dimensions), vector);
            if (score > bestScore)
            {
                bestScore = score;
                best = c;
            }
        }
        return best;
    }

    /// <summary>Shares <paramref name="total"/> lists among clusters in proportion to their sizes (largest remainders), at least one each when non-empty.</summary>
    private static int[] Allocate(int[] sizes, int total)
    {
        var sum = (double)sizes.Sum();
        var allocation = sizes.Select(s => s == 0 ? 0 : Math.Max(1, (int)(total * s / sum))).ToArray();
        var remainders = sizes.Select((s, i) => (Index: i, Remainder: s == 0 ? double.MinValue : total * s / sum - allocation[i])).OrderByDescending(x => x.Remainder).ToArray();
        var given = allocation.Sum();
        for (var i = 0; given < total; i = (i + 1) % remainders.Length)
        {
            if (sizes[remainders[i].Index] > allocation[remainders[i].Index])
            {
                allocation[remainders[i].Index]++;
                given++;
            }
        }
        // Minimums may overshoot on very skewed samples: take back from the largest.
        while (given > total)
        {
            var largest = Array.IndexOf(allocation, allocation.Max());
            allocation[largest]--;
            given--;
        }
        return allocation;
    }

    /// <summary>Spherical k-means (k-means++ seeding, Lloyd iterations) over the given sample rows; returns unit centroids and each one's members.</summary>
    private static (float[] Centroids, int[][] Members) KMeans(float[] sample, int dimensions, int[] points, int k, Random random)
    {
        k = Math.Max(1, Math.Min(k, points.Length));
        var centroids = new float[k * dimensions];
        Seed(sample, dimensions, points, centroids, k, random);
        var assignment = new int[points.Length];
        var similarity = new float[points.Length];
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            Parallel.For(0, points.Length, p =>
            {
                var row = sample.AsSpan(points[p] * dimensions, dimensions);
                var best = 0;
                var bestScore = float.NegativeInfinity;
                for (var c = 0; c < k; c++)
                {
                    var score = TensorPrimitives.Dot(centroids.AsSpan(c * dimensions, dimensions), row);
                    if (score > bestScore)
                    {
                        bestScore = score;
                        best = c;
                    }
                }
                assignment[p] = best;
                similarity[p] = bestScore;
            });
            var sums = new float[k * dimensions];
            var counts = new int[k];
            for (var p = 0; p < points.Length; p++)
            {
                TensorPrimitives.Add(sums.AsSpan(assignment[p] * dimensions, dimensions), sample.AsSpan(points[p] * dimensions, dimensions), sums.AsSpan(assignment[p] * dimensions, dimensions));
                counts[assignment[p]]++;
            }
            // Empty clusters restart at the points that fit their centroid worst.
            var worstFirst = counts.Contains(0) ? Enumerable.Range(0, points.Length).OrderBy(p => similarity[p]).GetEnumerator() : null;
            for (var c = 0; c < k; c++)
            {
                var target = centroids.AsSpan(c * dimensions, dimensions);
                if (counts[c] == 0 && worstFirst!.MoveNext())
                {
                    sample.AsSpan(points[worstFirst.Current] * dimensions, dimensions).CopyTo(target);
                    continue;
                }
                var sum = sums.AsSpan(c * dimensions, dimensions);
                var norm = TensorPrimitives.Norm(sum);
                if (norm > 0)
                {
                    TensorPrimitives.Divide(sum, norm, target);
                }
            }
        }
        var members = new List<int>[k];
        for (var c = 0; c < k; c++)
        {
            members[c] = [];
        }
        for (var p = 0; p < points.Length; p++)
        {
            members[assignment[p]].Add(points[p]);
        }
        return (centroids, members.Select(m => m.ToArray()).ToArray());
    }

    /// <summary>k-means++: each next centroid is a sample row drawn with probability growing with its distance (1 − cosine) to the chosen ones.</summary>
    private static void Seed(float[] sample, int dimensions, int[] points, float[] centroids, int k, Random random)
    {
        sample.AsSpan(points[random.Next(points.Length)] * dimensions, dimensions).CopyTo(centroids);
        var distance = new double[points.Length];
        Array.Fill(distance, double.MaxValue);
        for (var c = 1; c < k; c++)
        {
            var previous = centroids.AsSpan((c - 1) * dimensions, dimensions).ToArray();
            double total = 0;
            for (var p = 0; p < points.Length; p++)
            {
                var d = Math.Max(0, 1 - TensorPrimitives.Dot(previous, sample.AsSpan(points[p] * dimensions, dimensions)));
                distance[p] = Math.Min(distance[p], d * d);
                total += distance[p];
            }
            var chosen = random.Next(points.Length);
            if (total > 0)
            {
                var target = random.NextDouble() * total;
                for (var p = 0; p < points.Length; p++)
                {
                    target -= distance[p];
                    if (target <= 0)
                    {
                        chosen = p;
                        break;
                    }
                }
            }
            sample.AsSpan(points[chosen] * dimensions, dimensions).CopyTo(centroids.AsSpan(c * dimensions, dimensions));
        }
    }
}

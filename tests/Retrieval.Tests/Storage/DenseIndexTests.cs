using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Retrieval.Tests.Storage;

public sealed class DenseIndexTests
{
    [Fact]
    public void Search_agrees_with_a_plain_scan_over_many_segments_and_in_parallel()
    {
        // More rows than the parallel threshold, and a last segment that is only partly filled.
        const int dimensions = 8;
        const int rows = 40_000 + 123;
        var random = new Random(42);
        var vectors = new float[rows][];
        var index = new DenseIndex(dimensions);
        for (var i = 0; i < rows; i++)
        {
            vectors[i] = [.. Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            index.Add(chunkRowId: 1000 + i, documentKey: i % 10, vectors[i]);
        }
        var query = new float[dimensions];
        DenseIndex.Normalize([.. Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))], query);

        var expected = Enumerable.Range(0, rows)
            .Select(i => (Id: 1000L + i, Doc: i % 10, Score: Cosine(vectors[i], query)))
            .OrderByDescending(x => x.Score)
            .ToArray();

        var all = index.Search(query, 25, allowedDocuments: null);
        Assert.Equal(expected.Take(25).Select(x => x.Id), all.Select(h => h.ChunkRowId));
        Assert.Equal(expected.Take(25).Select(x => x.Score), all.Select(h => (double)h.Score), (a, b) => Math.Abs(a - b) < 1e-5);

        var filtered = index.Search(query, 10, new HashSet<long> { 3, 7 });
        Assert.Equal(expected.Where(x => x.Doc is 3 or 7).Take(10).Select(x => x.Id), filtered.Select(h => h.ChunkRowId));
    }

    [Fact]
    public void Removing_rows_keeps_the_others_findable()
    {
        var index = new DenseIndex(2);
        for (var i = 0; i < DenseIndex.RowsPerSegment + 5; i++)
        {
            var angle = i * 0.001;
            index.Add(i, 0, [(float)Math.Cos(angle), (float)Math.Sin(angle)]);
        }
        // Remove from the front (moves the last row into the hole) until the last segment empties.
        for (var i = 0; i < 10; i++)
        {
            Assert.True(index.Remove(i));
        }
        Assert.False(index.Remove(3));
        Assert.Equal(DenseIndex.RowsPerSegment - 5, index.Count);

        var best = index.Search([1, 0], 3, null);
        Assert.Equal([10L, 11L, 12L], best.Select(h => h.ChunkRowId));
        Assert.Equal((float)Math.Cos(0.010), index.Score(10, [1, 0])!.Value, 5);
        Assert.Null(index.Score(3, [1, 0]));
    }

    [Fact]
    public void Vectors_are_normalised_and_zero_vectors_score_zero()
    {
        var index = new DenseIndex(3);
        index.Add(1, 0, [3, 0, 4]);
        index.Add(2, 0, [0, 0, 0]);
        var hits = index.Search([0.6f, 0, 0.8f], 5, null);
        Assert.Equal([(1L, 1f), (2L, 0f)], hits.Select(h => (h.ChunkRowId, MathF.Round(h.Score, 5))));
    }

    [Fact]
    public void Top_k_collector_keeps_the_best_in_order()
    {
        var random = new Random(3);
        var scores = Enumerable.Range(0, 500).Select(_ => (float)random.NextDouble()).ToArray();
        var collector = new TopKCollector(7);
        for (var i = 0; i < scores.Length; i++)
        {
            collector.Add(scores[i], i);
        }
        var expected = scores.Select((s, i) => (i, s)).OrderByDescending(x => x.s).Take(7);
        Assert.Equal(expected, collector.ToSortedArray());
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}

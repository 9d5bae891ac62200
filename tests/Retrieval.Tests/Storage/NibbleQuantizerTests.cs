using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>The 4-bit codes a dense search scans first: layout, the SIMD dot product against a plain one, and ranking against the cosine.</summary>
public sealed class NibbleQuantizerTests
{
    [Theory]
    [InlineData(384)]
    [InlineData(100)] // not a whole number of 64-dimension blocks: the padding must score 0
    [InlineData(32)]
    public void The_dot_product_equals_the_plain_sum_of_levels_times_weights(int dimensions)
    {
        var random = new Random(dimensions);
        var sample = UnitRows(random, 500, dimensions);
        var quantizer = NibbleQuantizer.Fit(sample, dimensions);
        var packed = new byte[quantizer.Stride];
        var weights = new sbyte[NibbleQuantizer.WeightsFor(dimensions)];
        for (var trial = 0; trial < 50; trial++)
        {
            quantizer.Encode(sample.AsSpan(trial * dimensions, dimensions), packed);
            quantizer.PrepareQuery(sample.AsSpan((trial + 1) * dimensions, dimensions), weights);
            // Past the last dimension, codes and weights are padding: zero.
            Assert.All(Enumerable.Range(dimensions, weights.Length - dimensions), d => Assert.Equal(0, NibbleQuantizer.Level(packed, d) * weights[d]));
            // Extreme weights and levels too: the 16-bit sums inside must not overflow.
            if (trial % 5 == 0)
            {
                Array.Fill(packed, (byte)0xFF);
                Array.Fill(weights, trial % 10 == 0 ? (sbyte)127 : (sbyte)-127);
            }
            var expected = 0;
            for (var d = 0; d < weights.Length; d++)
            {
                expected += NibbleQuantizer.Level(packed, d) * weights[d];
            }
            Assert.Equal(expected, NibbleDot.Compute(packed, weights));
        }
    }

    [Theory]
    [InlineData(384)]
    [InlineData(100)]
    [InlineData(32)]
    [InlineData(320)] // five blocks: one group of four summed in 16 bits, then one more
    public void Four_rows_at_once_score_exactly_as_one_at_a_time(int dimensions)
    {
        var random = new Random(dimensions + 1);
        var sample = UnitRows(random, 64, dimensions);
        var quantizer = NibbleQuantizer.Fit(sample, dimensions);
        var stride = quantizer.Stride;
        var packed = new byte[4 * stride];
        var weights = new sbyte[NibbleQuantizer.WeightsFor(dimensions)];
        for (var trial = 0; trial < 40; trial++)
        {
            for (var r = 0; r < 4; r++)
            {
                quantizer.Encode(sample.AsSpan((trial + r) % 64 * dimensions, dimensions), packed.AsSpan(r * stride, stride));
            }
            quantizer.PrepareQuery(sample.AsSpan((trial + 7) % 64 * dimensions, dimensions), weights);
            if (trial % 5 == 0)
            {
                // The extremes, in one row only: the four sums must stay apart and none may overflow.
                packed.AsSpan(2 * stride, stride).Fill(0xFF);
                Array.Fill(weights, trial % 10 == 0 ? (sbyte)127 : (sbyte)-127);
            }
            var four = NibbleDot.ComputeFour(ref packed[0], stride, weights);
            for (var r = 0; r < 4; r++)
            {
                Assert.Equal(NibbleDot.Compute(packed.AsSpan(r * stride, stride), weights), four[r]);
            }
        }
    }

    [Fact]
    public void Codes_rank_rows_close_to_the_cosine()
    {
        const int dimensions = 384;
        const int rows = 3000;
        var random = new Random(7);
        var data = UnitRows(random, rows, dimensions);
        var quantizer = NibbleQuantizer.Fit(data, dimensions);
        var codes = new byte[rows * quantizer.Stride];
        for (var r = 0; r < rows; r++)
        {
            quantizer.Encode(data.AsSpan(r * dimensions, dimensions), codes.AsSpan(r * quantizer.Stride, quantizer.Stride));
        }
        var found = 0;
        for (var q = 0; q < 20; q++)
        {
            var query = data.AsSpan(random.Next(rows) * dimensions, dimensions).ToArray();
            var weights = new sbyte[NibbleQuantizer.WeightsFor(dimensions)];
            quantizer.PrepareQuery(query, weights);
            var exactTop = Enumerable.Range(0, rows)
                .OrderByDescending(r => System.Numerics.Tensors.TensorPrimitives.Dot(data.AsSpan(r * dimensions, dimensions), query))
                .Take(10).ToHashSet();
            // The first pass keeps a shortlist (here 100 of 3,000); the exact top 10 must be inside it.
            var shortlist = Enumerable.Range(0, rows)
                .OrderByDescending(r => NibbleDot.Compute(codes.AsSpan(r * quantizer.Stride, quantizer.Stride), weights))
                .Take(100);
            found += shortlist.Count(exactTop.Contains);
        }
        Assert.True(found >= 0.98 * 20 * 10, $"{found} of 200 exact top-10 rows in the 4-bit shortlists");
    }

    /// <summary>Rows with the skew of embeddings: a shared mean direction, dimensions of different spread, and clusters.</summary>
    private static float[] UnitRows(Random random, int rows, int dimensions)
    {
        var mean = Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble() * 0.5f).ToArray();
        var spread = Enumerable.Range(0, dimensions).Select(_ => 0.2f + (float)random.NextDouble() * 2).ToArray();
        var centres = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, dimensions).Select(d => (float)(random.NextDouble() * 2 - 1) * spread[d]).ToArray()).ToArray();
        var data = new float[rows * dimensions];
        var row = new float[dimensions];
        for (var r = 0; r < rows; r++)
        {
            var centre = centres[random.Next(centres.Length)];
            for (var d = 0; d < dimensions; d++)
            {
                row[d] = mean[d] + centre[d] + (float)(random.NextDouble() * 2 - 1) * spread[d] * 0.5f;
            }
            DenseIndex.Normalize(row, data.AsSpan(r * dimensions, dimensions));
        }
        return data;
    }
}

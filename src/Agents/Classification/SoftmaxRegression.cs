using System.Numerics.Tensors;

namespace KnowledgeQa.Agents.Classification;

/// <summary>One example's features: a dense part (a standardised embedding, or empty) and a sparse hashed part.</summary>
internal readonly record struct FeatureRow(float[] Dense, SparseFeatures Sparse);

/// <summary>
/// Multinomial logistic regression over a dense block and a hashed sparse block. Dense weights are
/// stored per class ([class * D + d]) so a logit is one vectorised dot product; sparse weights per
/// bucket ([bucket * C + class]) so one feature touches one contiguous run.
/// </summary>
internal sealed class SoftmaxRegression
{
    public SoftmaxRegression(int classes, int denseDimensions, int sparseBuckets)
    {
        Classes = classes;
        DenseDimensions = denseDimensions;
        SparseBuckets = sparseBuckets;
        DenseWeights = new float[classes * denseDimensions];
        SparseWeights = new float[classes * sparseBuckets];
        Bias = new float[classes];
    }

    public int Classes { get; }
    public int DenseDimensions { get; }
    public int SparseBuckets { get; }
    public float[] DenseWeights { get; }
    public float[] SparseWeights { get; }
    public float[] Bias { get; }

    public void Logits(in FeatureRow row, Span<double> logits)
    {
        for (var c = 0; c < Classes; c++)
        {
            double z = Bias[c];
            if (DenseDimensions > 0) z += TensorPrimitives.Dot(DenseWeights.AsSpan(c * DenseDimensions, DenseDimensions), row.Dense);
            logits[c] = z;
        }
        if (SparseBuckets == 0) return;
        var (indices, values) = (row.Sparse.Indices, row.Sparse.Values);
        for (var i = 0; i < indices.Length; i++)
        {
            var offset = indices[i] * Classes;
            for (var c = 0; c < Classes; c++) logits[c] += SparseWeights[offset + c] * values[i];
        }
    }

    /// <summary>Writes class probabilities into <paramref name="probabilities"/> and returns the log-loss for <paramref name="gold"/> (or 0 when gold is negative).</summary>
    public double Probabilities(in FeatureRow row, Span<double> probabilities, int gold = -1)
    {
        Logits(row, probabilities);
        var max = double.NegativeInfinity;
        foreach (var z in probabilities) max = Math.Max(max, z);
        var sum = 0.0;
        for (var c = 0; c < Classes; c++) { probabilities[c] = Math.Exp(probabilities[c] - max); sum += probabilities[c]; }
        for (var c = 0; c < Classes; c++) probabilities[c] /= sum;
        return gold >= 0 ? -Math.Log(Math.Max(probabilities[gold], 1e-12)) : 0;
    }

    public SoftmaxRegression Clone()
    {
        var copy = new SoftmaxRegression(Classes, DenseDimensions, SparseBuckets);
        DenseWeights.CopyTo(copy.DenseWeights, 0);
        SparseWeights.CopyTo(copy.SparseWeights, 0);
        Bias.CopyTo(copy.Bias, 0);
        return copy;
    }
}

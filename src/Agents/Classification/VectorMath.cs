using System.Numerics.Tensors;

namespace KnowledgeQa.Agents.Classification;

/// <summary>Small numeric helpers shared by the classifiers and the clusterer.</summary>
internal static class VectorMath
{
    /// <summary>Scales <paramref name="vector"/> to unit length in place (a zero vector stays zero).</summary>
    public static void NormalizeInPlace(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0) TensorPrimitives.Divide(vector, norm, vector);
    }

    public static float[] Normalized(ReadOnlySpan<float> vector)
    {
        var copy = vector.ToArray();
        NormalizeInPlace(copy);
        return copy;
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    /// <summary>Softmax of <paramref name="logits"/> / <paramref name="temperature"/>, computed stably.</summary>
    public static double[] Softmax(ReadOnlySpan<double> logits, double temperature = 1.0)
    {
        var result = new double[logits.Length];
        if (logits.Length == 0) return result;
        var max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp((logits[i] - max) / temperature);
            sum += result[i];
        }
        for (var i = 0; i < result.Length; i++) result[i] /= sum;
        return result;
    }

    public static int ArgMax(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}

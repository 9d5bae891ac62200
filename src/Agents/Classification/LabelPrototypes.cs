namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// One unit vector per label; a text is scored by its cosine to each prototype and the cosines go
/// through a tempered softmax. Shared by zero-shot (description prototypes) and nearest-centroid
/// few-shot (example centroids).
/// </summary>
internal sealed class LabelPrototypes(IReadOnlyList<string> labels, IReadOnlyList<float[]> prototypes)
{
    public IReadOnlyList<string> Labels { get; } = labels;

    public double[] Cosines(ReadOnlySpan<float> normalizedEmbedding)
    {
        var result = new double[prototypes.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = prototypes[i].Length == 0 ? double.NegativeInfinity : VectorMath.Dot(normalizedEmbedding, prototypes[i]);
        return result;
    }

    public double[] Probabilities(ReadOnlySpan<float> normalizedEmbedding, double temperature)
        => VectorMath.Softmax(Cosines(normalizedEmbedding), temperature);
}

using System.Numerics.Tensors;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>Turns one input's token vectors into a single unit-length vector.</summary>
internal static class EmbeddingPooling
{
    /// <param name="tokens">The input's row of the model output: sequence x dimensions, row-major.</param>
    /// <param name="length">Real tokens at the start of the row; the rest is right padding.</param>
    public static void Pool(PoolingMode mode, ReadOnlySpan<float> tokens, int length, Span<float> destination)
    {
        var dimensions = destination.Length;
        if (mode == PoolingMode.Cls)
        {
            tokens[..dimensions].CopyTo(destination);
        }
        else
        {
            // The mean over the attention mask: padding sits after the real tokens, so the mask is a prefix.
            tokens[..dimensions].CopyTo(destination);
            for (var t = 1; t < length; t++)
            {
                TensorPrimitives.Add(destination, tokens.Slice(t * dimensions, dimensions), destination);
            }
            TensorPrimitives.Divide(destination, length, destination);
        }
        Normalize(destination);
    }

    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }
}

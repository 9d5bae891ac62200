using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

/// <summary>Embedding helpers: unit-length vectors and the identity of the model behind a generator.</summary>
public static class EmbeddingGeneratorExtensions
{
    /// <summary>
    /// Embeds <paramref name="texts"/> and returns unit-length vectors in input order. Normalising here
    /// makes a dot product a cosine whatever the generator returns.
    /// </summary>
    public static async Task<float[][]> EmbedNormalizedAsync(
        this IEmbeddingGenerator<string, Embedding<float>> generator,
        IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (texts.Count == 0) return [];
        var embeddings = await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (embeddings.Count != texts.Count)
            throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} vectors for {texts.Count} texts.");
        var result = new float[texts.Count][];
        for (var i = 0; i < result.Length; i++) result[i] = VectorMath.Normalized(embeddings[i].Vector.Span);
        return result;
    }

    public static async Task<float[]> EmbedNormalizedAsync(
        this IEmbeddingGenerator<string, Embedding<float>> generator,
        string text,
        CancellationToken cancellationToken = default)
        => (await generator.EmbedNormalizedAsync([text], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>The model id and dimensions the generator reports (either may be unknown).</summary>
    public static EmbeddingModelIdentity GetModelIdentity(this IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        return new EmbeddingModelIdentity(metadata?.DefaultModelId, metadata?.DefaultModelDimensions);
    }
}

/// <summary>Which embedding model produced a vector space: a trained head is only valid in its own.</summary>
public sealed record EmbeddingModelIdentity(string? ModelId, int? Dimensions);

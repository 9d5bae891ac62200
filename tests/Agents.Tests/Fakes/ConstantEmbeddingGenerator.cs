using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>
/// An embedding model that reads every text as the same meaning (cosine 1 between any two): it
/// stands for a model that sees a paraphrase as close, in tests of what dense evidence changes.
/// </summary>
internal sealed class ConstantEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new[] { 0.6f, 0.8f }))));

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

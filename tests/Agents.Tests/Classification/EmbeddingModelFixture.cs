using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Classification;

/// <summary>Loads the real embedding model once per test class.</summary>
public sealed class EmbeddingModelFixture : IDisposable
{
    private readonly MiniLmReferenceEmbeddingGenerator _generator = new();

    public IEmbeddingGenerator<string, Embedding<float>> Generator => _generator;

    public void Dispose() => _generator.Dispose();
}

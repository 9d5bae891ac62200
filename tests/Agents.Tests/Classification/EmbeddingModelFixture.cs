using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Classification;

/// <summary>Loads the real bundled embedding model (all-MiniLM-L6-v2) once per test class.</summary>
public sealed class EmbeddingModelFixture : IDisposable
{
    private readonly OnnxEmbeddingGenerator _generator = new();

    public IEmbeddingGenerator<string, Embedding<float>> Generator => _generator;

    public void Dispose() => _generator.Dispose();
}

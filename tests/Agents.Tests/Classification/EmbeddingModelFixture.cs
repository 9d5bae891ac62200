using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Classification;

/// <summary>Loads the real bundled embedding model (all-MiniLM-L6-v2, in the default precision) once per test class.</summary>
public sealed class EmbeddingModelFixture : IDisposable
{
    private readonly OnnxEmbeddingGenerator _generator = new();

    public IEmbeddingGenerator<string, Embedding<float>> Generator => _generator;

    /// <summary>The id a classifier records: all-MiniLM-L6-v2, with "-int8" for the int8 variant.</summary>
    public string ModelId => _generator.ModelId;

    public void Dispose() => _generator.Dispose();
}

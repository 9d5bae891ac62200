namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// How much of a text an embedding model can actually see. all-MiniLM-L6-v2 maps most Chinese
/// characters to [UNK], so its vectors for Chinese text are noise; hybrid search asks this
/// (through IEmbeddingGenerator.GetService) to leave such queries to the lexical side.
/// </summary>
public interface IVocabularyCoverage
{
    /// <summary>Share (0..1) of the text's tokens that are in the model's vocabulary; 1 for empty text.</summary>
    double KnownTokenShare(string text);
}

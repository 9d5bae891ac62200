namespace KnowledgeQa.Retrieval.Chunking;

public sealed class ChunkingOptions
{
    /// <summary>Tokens per chunk at most (without special tokens); 0 fits the embedding model's window.</summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>Tokens repeated from the end of one chunk at the start of the next, within a section.</summary>
    public int OverlapTokens { get; set; } = 32;
}

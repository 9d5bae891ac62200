namespace KnowledgeQa.Retrieval.Chunking;

/// <summary>Counts tokens the way the embedding model does, so chunks fit its window.</summary>
public interface ITokenCounter
{
    /// <summary>Tokens in <paramref name="text"/>, special tokens not counted.</summary>
    int CountTokens(string text);

    /// <summary>Tokens the model takes at most, special tokens included.</summary>
    int MaxTokens { get; }
}

using KnowledgeQa.Retrieval.Chunking;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace KnowledgeQa.Agents.Chat;

/// <summary>Counts tokens with a local model's own tokenizer, so prompts are sized exactly.</summary>
public sealed class GenAITokenCounter(Tokenizer tokenizer, int maxTokens) : ITokenCounter
{
    public int MaxTokens { get; } = maxTokens;

    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return 0;
        }

        using var sequences = tokenizer.Encode(text);
        return sequences[0].Length;
    }
}

using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Chunking;

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// Estimates tokens when the model's own tokenizer is out of reach (remote endpoints). It errs on
/// the high side so that prompts fit: about one token per 3.5 characters of alphabetic text and
/// 1.5 per CJK character (many BPE vocabularies split a Chinese character into 2-3 byte tokens).
/// </summary>
public sealed class ApproximateTokenCounter(int maxTokens) : ITokenCounter
{
    public int MaxTokens { get; } = maxTokens;

    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        double tokens = 0;
        var other = 0;
        foreach (var c in text)
        {
            if (ScriptDetector.IsCjk(c))
            {
                tokens += 1.5;
            }
            else
            {
                other++;
            }
        }

        return (int)Math.Ceiling(tokens + other / 3.5);
    }
}

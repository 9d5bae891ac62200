using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Chat;

/// <summary>A caller's generation settings (temperature, top_p, stop sequences, seed, an output limit) for one model call.</summary>
public static class GenerationOptions
{
    /// <summary>
    /// <paramref name="requested"/> for a call whose output may take at most <paramref name="outputTokens"/>:
    /// the caller may ask for less, never for more than the context window leaves. Tools are dropped:
    /// a grounded answer is text.
    /// </summary>
    public static ChatOptions For(ChatOptions? requested, int outputTokens)
    {
        var options = requested?.Clone() ?? new ChatOptions();
        options.Tools = null;
        options.MaxOutputTokens = Math.Min(options.MaxOutputTokens ?? outputTokens, outputTokens);
        return options;
    }
}

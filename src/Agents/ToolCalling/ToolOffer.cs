using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>The functions a call offers the model, and whether it may answer instead of calling one.</summary>
internal sealed class ToolOffer
{
    private ToolOffer(IReadOnlyList<AIFunctionDeclaration> functions, bool answerAllowed)
    {
        Functions = functions;
        AnswerAllowed = answerAllowed;
    }

    public IReadOnlyList<AIFunctionDeclaration> Functions { get; }

    /// <summary>False when the tool mode requires a call (RequireAny or a specific function).</summary>
    public bool AnswerAllowed { get; }

    public AIFunctionDeclaration? Find(string name) =>
        Functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    /// <summary>The offer in <paramref name="options"/>, or null when it offers no function or forbids calls.</summary>
    /// <exception cref="InvalidOperationException">The tool mode requires a function that is not offered.</exception>
    public static ToolOffer? From(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || options.ToolMode is NoneChatToolMode)
        {
            return null;
        }

        // Hosted tools (web search, code interpreter) need a service behind them; a local model cannot use them.
        var functions = tools.OfType<AIFunctionDeclaration>()
            .DistinctBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        if (functions.Count == 0)
        {
            return null;
        }

        if (options.ToolMode is RequiredChatToolMode required)
        {
            if (required.RequiredFunctionName is { } name)
            {
                var function = functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))
                    ?? throw new InvalidOperationException(
                        $"ChatOptions.ToolMode requires the function '{name}', but ChatOptions.Tools has no function of that name.");
                return new ToolOffer([function], answerAllowed: false);
            }

            return new ToolOffer(functions, answerAllowed: false);
        }

        return new ToolOffer(functions, answerAllowed: true);
    }
}

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// How much text a chat model takes and gives: the answerer sizes its prompt from this.
/// Chat clients made by <see cref="ChatClientFactory"/> return it from GetService.
/// </summary>
public sealed record ChatModelLimits(int ContextTokens, int MaxOutputTokens);

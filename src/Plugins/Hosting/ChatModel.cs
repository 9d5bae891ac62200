using Microsoft.Extensions.AI;

namespace KnowledgeQa.Plugins.Hosting;

/// <summary>
/// The configured chat model, or none. A holder rather than a nullable IChatClient registration,
/// because "no chat model" is a normal configuration (answers are then extractive).
/// </summary>
public sealed class ChatModel(IChatClient? client) : IDisposable
{
    public IChatClient? Client { get; } = client;

    public bool IsConfigured => Client is not null;

    public void Dispose() => Client?.Dispose();
}

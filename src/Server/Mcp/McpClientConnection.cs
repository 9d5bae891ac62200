namespace KnowledgeQa.Server.Mcp;

/// <summary>
/// Tells tool calls that their client is gone (stdio input ended), so that they stop instead of
/// finishing work nobody will read. Over HTTP the request's own cancellation does this.
/// </summary>
public sealed class McpClientConnection(CancellationToken gone)
{
    public CancellationToken Gone { get; } = gone;
}

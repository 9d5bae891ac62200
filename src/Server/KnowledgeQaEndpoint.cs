using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server;

/// <summary>
/// Endpoint metadata that marks KnowledgeQa's own endpoints, so that its middleware (JSON errors,
/// the API key, body limits) guards them and leaves the rest of a host application alone.
/// </summary>
public sealed class KnowledgeQaEndpoint
{
    public static readonly KnowledgeQaEndpoint Guarded = new(requiresKey: true);
    public static readonly KnowledgeQaEndpoint Public = new(requiresKey: false);

    private KnowledgeQaEndpoint(bool requiresKey) => RequiresKey = requiresKey;

    /// <summary>False for /healthz: monitors reach it without the key.</summary>
    public bool RequiresKey { get; }

    /// <summary>The marker of the endpoint this request was routed to; null when it is not one of KnowledgeQa's.</summary>
    public static KnowledgeQaEndpoint? Of(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<KnowledgeQaEndpoint>();
}

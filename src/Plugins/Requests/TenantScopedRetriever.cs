using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Requests;

/// <summary>
/// Confines every search to the caller's tenant (<see cref="CallerTenant"/>). Search and answering
/// both go through the retriever, so confining it here covers the HTTP API, MCP tools, plugin
/// functions and the agent alike, whatever filter they built.
/// </summary>
public sealed class TenantScopedRetriever(IKnowledgeRetriever inner) : IKnowledgeRetriever
{
    public Task<IReadOnlyList<SearchHit>> SearchAsync(string query, RetrievalOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return inner.SearchAsync(query, options with { Filter = CallerTenant.Restrict(options.Filter) }, cancellationToken);
    }
}

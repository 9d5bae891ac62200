using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Requests;

/// <summary>
/// Keeps a caller confined to a tenant (<see cref="CallerTenant"/>) from replacing or deleting
/// another tenant's document. Document ids are shared by all tenants, so an id another tenant
/// owns (or an untenanted document) is off limits to the confined caller.
/// </summary>
public static class TenantOwnership
{
    /// <summary>Whether <paramref name="documentId"/> exists and belongs to a tenant the caller may not touch.</summary>
    public static async Task<bool> IsOffLimitsAsync(IKnowledgeStore store, string documentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return CallerTenant.Current is not null
            && await store.GetDocumentAsync(documentId, cancellationToken).ConfigureAwait(false) is { } existing
            && !CallerTenant.MaySee(existing.Tenant);
    }
}

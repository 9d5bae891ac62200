using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Server;

/// <summary>
/// Keeps a tenant-bound caller from replacing another tenant's document: document ids are shared
/// by all tenants, so an upload under an id another tenant owns is refused for that file.
/// </summary>
public sealed class TenantOwnership(IKnowledgeStore store)
{
    /// <summary>Why the caller may not write <paramref name="documentId"/>; null when it may.</summary>
    public async Task<string?> RefusalAsync(string documentId, CancellationToken cancellationToken)
    {
        if (CallerTenant.Current is null)
            return null;
        var existing = await store.GetDocumentAsync(documentId, cancellationToken);
        return existing is null || CallerTenant.MaySee(existing.Tenant)
            ? null
            : "a document with this id is stored for another tenant; rename the file.";
    }
}

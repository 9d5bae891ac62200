using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Requests;

/// <summary>
/// The tenant the current caller is confined to, for the duration of one request. A server sets
/// it from the caller's API key (<see cref="Enter"/>); every read and write of the knowledge base
/// made on the caller's behalf (HTTP endpoints, MCP tools, plugin functions) applies it, so a
/// tenant's key never sees or changes another tenant's documents. Unset means unrestricted: the
/// admin key, an in-process host, the CLI.
/// </summary>
public static class CallerTenant
{
    private static readonly AsyncLocal<string?> Scope = new();

    /// <summary>The tenant of the current caller; null when the caller is not confined to one.</summary>
    public static string? Current => Scope.Value;

    /// <summary>Confines the calls made in this async flow to <paramref name="tenant"/> until disposed.</summary>
    public static IDisposable Enter(string tenant)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        var previous = Scope.Value;
        Scope.Value = tenant;
        return new Exit(previous);
    }

    /// <summary>
    /// <paramref name="filter"/> confined to the caller's tenant. A filter that names another tenant
    /// is refused rather than silently widened or emptied.
    /// </summary>
    public static SearchFilter Restrict(SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return Current is { } tenant ? filter with { Tenant = Check(filter.Tenant, tenant) } : filter;
    }

    /// <summary>The tenant a write on the caller's behalf stores: the caller's own, or <paramref name="requested"/> for an unconfined caller.</summary>
    public static string? ForWrite(string? requested) => Current is { } tenant ? Check(requested, tenant) : requested;

    /// <summary>Whether the caller may see a document stored under <paramref name="documentTenant"/>.</summary>
    public static bool MaySee(string? documentTenant) => Current is not { } tenant || string.Equals(documentTenant, tenant, StringComparison.Ordinal);

    private static string Check(string? requested, string tenant) =>
        requested is null || string.Equals(requested, tenant, StringComparison.Ordinal)
            ? tenant
            : throw new TenantAccessException($"this API key is bound to its own tenant and cannot use tenant '{requested}'; leave the tenant out.");

    private sealed class Exit(string? previous) : IDisposable
    {
        public void Dispose() => Scope.Value = previous;
    }
}

/// <summary>A caller confined to one tenant asked for another tenant's documents.</summary>
public sealed class TenantAccessException(string message) : KnowledgeQaException(message);

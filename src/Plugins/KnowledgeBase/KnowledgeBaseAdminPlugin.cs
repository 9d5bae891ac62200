using System.ComponentModel;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.KnowledgeBase;

/// <summary>What <c>add_document</c> and <c>delete_document</c> did.</summary>
public sealed record DocumentChange(string Id, string Outcome, int Chunks, string? Reason = null);

/// <summary>
/// Writes to the knowledge base (add a text as a document, delete a document). Opt-in: a model
/// that can call it can change what every later answer is grounded in, so hosts add it explicitly.
/// </summary>
public sealed class KnowledgeBaseAdminPlugin(IngestionPipeline pipeline, IKnowledgeStore store)
{
    public const string PluginName = "knowledge_base_admin";

    [KernelFunction("add_document")]
    [Description("Adds a text to the knowledge base as a document (replacing a document with the same id), so later searches and answers can use it.")]
    public async Task<DocumentChange> AddDocumentAsync(
        [Description("A stable id for the document, such as 'notes/returns-policy'.")] string id,
        [Description("The full text of the document.")] string text,
        [Description("Optional comma-separated tags, such as 'policy,2024'.")] string? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var document = new Document(id.Trim(), id.Trim(), text);
        if (await TenantOwnership.IsOffLimitsAsync(store, document.Id, cancellationToken).ConfigureAwait(false))
            return new DocumentChange(document.Id, "failed", 0, "A document with this id belongs to another tenant; choose another id.");
        var options = new IngestionOptions { Tags = SplitList(tags), Tenant = CallerTenant.ForWrite(null) };
        var summary = await pipeline.IngestDocumentsAsync([document], options, cancellationToken: cancellationToken).ConfigureAwait(false);
        var result = summary.Files.Single();
        return new DocumentChange(document.Id, result.Outcome.ToString().ToLowerInvariant(), result.Chunks, result.Reason);
    }

    [KernelFunction("delete_document")]
    [Description("Deletes a document and all its passages from the knowledge base.")]
    public async Task<DocumentChange> DeleteDocumentAsync(
        [Description("The id of the document, as list_documents shows it.")] string id,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var deleted = !await TenantOwnership.IsOffLimitsAsync(store, id.Trim(), cancellationToken).ConfigureAwait(false)
            && await store.DeleteDocumentAsync(id.Trim(), cancellationToken).ConfigureAwait(false);
        return deleted
            ? new DocumentChange(id.Trim(), "deleted", 0)
            : new DocumentChange(id.Trim(), "not_found", 0, "No document has this id; list_documents shows the ids.");
    }

    internal static IReadOnlyList<string> SplitList(string? values) =>
        string.IsNullOrWhiteSpace(values)
            ? []
            : values.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
}

using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Results;

/// <summary>
/// A stored document as `kqa docs --json` and GET /v1/documents show it. <see cref="SourceName"/> is
/// the ingested root (or upload source) it belongs to; null for documents added without one.
/// </summary>
public sealed record DocumentInfo(
    string DocumentId, string Source, string? Title, IReadOnlyList<string> Tags, string? Tenant, int Chunks, DateTimeOffset IngestedAt, string? SourceName)
{
    public static DocumentInfo From(StoredDocument d) => new(d.Id, d.Source, d.Title, d.Tags, d.Tenant, d.ChunkCount, d.IngestedAt, d.SourceName);
}

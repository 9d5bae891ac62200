using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Results;

/// <summary>A stored document as `kqa docs --json` and GET /v1/documents show it.</summary>
public sealed record DocumentInfo(string DocumentId, string Source, string? Title, IReadOnlyList<string> Tags, string? Tenant, int Chunks, DateTimeOffset IngestedAt)
{
    public static DocumentInfo From(StoredDocument d) => new(d.Id, d.Source, d.Title, d.Tags, d.Tenant, d.ChunkCount, d.IngestedAt);
}

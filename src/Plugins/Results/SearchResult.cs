using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Results;

/// <summary>
/// One search result as every surface shows it (`kqa search --json`, the HTTP API, plugin calls):
/// the passage, where it comes from (document, source, page, headings) and its scores.
/// </summary>
public sealed record SearchResult(
    string DocumentId,
    string Source,
    string? Title,
    string Text,
    double Score,
    int? Page,
    IReadOnlyList<string>? Headings,
    string ChunkId,
    int Start,
    int End,
    double? DenseScore,
    double? LexicalScore)
{
    public static SearchResult From(SearchHit hit) => new(
        hit.Chunk.DocumentId,
        hit.Source,
        hit.Title,
        hit.Chunk.Text,
        Math.Round(hit.Score, 6),
        hit.Chunk.Page,
        hit.Chunk.Headings.Count > 0 ? hit.Chunk.Headings : null,
        hit.Chunk.Id,
        hit.Chunk.Start,
        hit.Chunk.End,
        hit.DenseScore is { } dense ? Math.Round(dense, 6) : null,
        hit.LexicalScore is { } lexical ? Math.Round(lexical, 6) : null);
}

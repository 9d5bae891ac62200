using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Results;

/// <summary>
/// One stored document with its chunks, as GET /v1/documents/{id} shows it: the document as the
/// list shows it, then each chunk's text and where it sits (index, page, headings, offsets).
/// </summary>
public sealed record DocumentDetail(DocumentInfo Document, IReadOnlyList<DocumentDetail.ChunkEntry> Chunks)
{
    /// <param name="Index">0-based position in the document.</param>
    /// <param name="Headings">The headings above the chunk, outermost first; null when there are none.</param>
    /// <param name="Start">Character offset of the chunk in the document's text.</param>
    public sealed record ChunkEntry(string ChunkId, int Index, string Text, int? Page, IReadOnlyList<string>? Headings, int Start, int End, int Tokens);

    public static DocumentDetail From(StoredDocument document, IEnumerable<Chunk> chunks) => new(
        DocumentInfo.From(document),
        chunks.OrderBy(c => c.Index)
            .Select(c => new ChunkEntry(c.Id, c.Index, c.Text, c.Page, c.Headings.Count > 0 ? c.Headings : null, c.Start, c.End, c.TokenCount))
            .ToList());
}

using System.Security.Cryptography;
using System.Text;

namespace KnowledgeQa.Retrieval.Chunking;

/// <summary>
/// A passage of a document small enough to embed. <see cref="Start"/> and <see cref="End"/> are
/// character offsets into <see cref="Documents.Document.Text"/>; <see cref="Text"/> is exactly that span.
/// </summary>
public sealed record Chunk
{
    public required string Id { get; init; }
    public required string DocumentId { get; init; }
    /// <summary>0-based position of the chunk within its document.</summary>
    public required int Index { get; init; }
    public required string Text { get; init; }
    public required int Start { get; init; }
    public required int End { get; init; }
    /// <summary>The headings above the chunk, outermost first.</summary>
    public IReadOnlyList<string> Headings { get; init; } = [];
    /// <summary>1-based page of the chunk's start, for paged formats.</summary>
    public int? Page { get; init; }
    /// <summary>Tokens of the embedding model's tokenizer (without special tokens).</summary>
    public int TokenCount { get; init; }

    /// <summary>
    /// The deterministic id of a chunk: a UUID made from the document id, the position and a hash
    /// of the content, so that re-ingesting the same content yields the same ids on every store
    /// (Qdrant needs UUID or integer point ids).
    /// </summary>
    public static string CreateId(string documentId, int index, string text)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{documentId}\u001f{index}\u001f{text}"));
        return new Guid(bytes.AsSpan(0, 16)).ToString("D");
    }
}

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Reads one kind of file into a <see cref="Document"/>. A reader that cannot read a file it
/// claimed throws <see cref="DocumentReadException"/> naming the file and the reason.
/// </summary>
public interface IDocumentReader
{
    /// <summary>
    /// Whether this reader handles the file, judged by its extension and by its first bytes
    /// (<paramref name="head"/>, up to 4 KB; may be empty).
    /// </summary>
    bool CanRead(string fileName, ReadOnlySpan<byte> head);

    Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default);
}

/// <summary>What a reader knows about the file beyond its bytes.</summary>
public sealed record DocumentReadContext(string DocumentId, string Source, string FileName)
{
    /// <summary>Text encoding name to use for plain text (for example "big5"); null detects it.</summary>
    public string? EncodingName { get; init; }
}

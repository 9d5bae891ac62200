namespace KnowledgeQa.Retrieval.Documents;

/// <summary>What a block of a document is, so the chunker can respect structure.</summary>
public enum BlockKind
{
    Paragraph,
    Heading,
    ListItem,
    Code,
    Table,
}

/// <summary>
/// A structural block of a <see cref="Document"/>: a span of <see cref="Document.Text"/> given by
/// character offsets. Headings carry their level (1 = top); blocks from paged formats carry a page.
/// </summary>
public sealed record DocumentBlock(BlockKind Kind, int Start, int Length, int HeadingLevel = 0, int? Page = null)
{
    public int End => Start + Length;
}

/// <summary>
/// A document as read from a file or stream: its full text and the structure inside it.
/// Readers produce it; the chunker turns it into <see cref="Chunking.Chunk"/>s. Whatever reader made
/// it, its text, title and tags hold no control characters but '\n' and '\t' (see
/// <see cref="TextSanitizer"/>): the constructor replaces any that are left character for
/// character, so the blocks' offsets stay valid.
/// </summary>
public sealed class Document
{
    public Document(string id, string source, string text, IReadOnlyList<DocumentBlock>? blocks = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(text);
        Id = id;
        Source = source;
        Text = TextSanitizer.CleanInPlace(text);
        Blocks = blocks ?? [new DocumentBlock(BlockKind.Paragraph, 0, text.Length)];
    }

    /// <summary>Stable id (for files: the path relative to the ingest root, with '/' separators).</summary>
    public string Id { get; }

    /// <summary>Where it came from (a path or URI), shown in citations.</summary>
    public string Source { get; }

    public string Text { get; }

    public IReadOnlyList<DocumentBlock> Blocks { get; }

    public string? Title
    {
        get;
        init => field = value is null ? null : TextSanitizer.Clean(value);
    }

    /// <summary>Tags the document gives itself (Markdown front matter <c>tags:</c>), stored beside the run's tags.</summary>
    public IReadOnlyList<string> Tags
    {
        get;
        init => field = value.Select(TextSanitizer.Clean).ToArray();
    } = [];

    /// <summary>The media type the reader recognised, such as text/markdown.</summary>
    public string? MediaType { get; init; }
}

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>Limits and choices for reading files into documents.</summary>
public sealed class ReaderOptions
{
    /// <summary>Files larger than this are refused before they are read.</summary>
    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// The most a .docx may unpack to (all zip entries together), so that a zip bomb is refused
    /// before any of it is inflated.
    /// </summary>
    public long MaxDecompressedBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>
    /// HTML nested deeper than this is refused: browsers flatten past about 512 levels, and
    /// parsing hostile nesting costs time that grows with the square of the depth.
    /// </summary>
    public int MaxHtmlDepth { get; set; } = 512;

    /// <summary>
    /// Word XML nested deeper than this (elements inside elements: tables in tables, content controls in
    /// content controls) is refused, judged by a streaming pass before anything is built. Real documents
    /// stay under a few dozen levels; 20,000 nested tables fit in a 3 KB file.
    /// </summary>
    public int MaxDocxDepth { get; set; } = 256;

    /// <summary>
    /// Markdown lists and block quotes nested deeper than this are refused, judged by a pass over the
    /// line starts before the Markdown is parsed.
    /// </summary>
    public int MaxMarkdownDepth { get; set; } = 64;

    /// <summary>
    /// The most text one document may produce, in characters (10 million is about 5,000 pages). A
    /// compressed format can hold far more text than its file size suggests (a 300 KB .docx can unpack
    /// to 180 MB of text), so every reader stops as soon as it passes this.
    /// </summary>
    public int MaxTextCharacters { get; set; } = 10_000_000;

    /// <summary>
    /// Forces the text encoding of plain text, Markdown and HTML (for example "big5", "gb18030",
    /// "utf-16"); null detects it (BOM, UTF-8, then Big5 / GB18030).
    /// </summary>
    public string? EncodingName { get; set; }

    internal void Validate()
    {
        if (MaxFileBytes <= 0)
            throw new InvalidOptionException($"ReaderOptions.MaxFileBytes must be positive (was {MaxFileBytes}).");
        if (MaxDecompressedBytes <= 0)
            throw new InvalidOptionException($"ReaderOptions.MaxDecompressedBytes must be positive (was {MaxDecompressedBytes}).");
        if (MaxHtmlDepth <= 0)
            throw new InvalidOptionException($"ReaderOptions.MaxHtmlDepth must be positive (was {MaxHtmlDepth}).");
        if (MaxDocxDepth <= 0)
            throw new InvalidOptionException($"ReaderOptions.MaxDocxDepth must be positive (was {MaxDocxDepth}).");
        if (MaxMarkdownDepth <= 0)
            throw new InvalidOptionException($"ReaderOptions.MaxMarkdownDepth must be positive (was {MaxMarkdownDepth}).");
        if (MaxTextCharacters <= 0)
            throw new InvalidOptionException($"ReaderOptions.MaxTextCharacters must be positive (was {MaxTextCharacters}).");
        if (EncodingName is not null)
            TextDecoder.ResolveEncoding(EncodingName); // throws InvalidOptionException for an unknown name
    }
}

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
        if (EncodingName is not null)
            TextDecoder.ResolveEncoding(EncodingName); // throws InvalidOptionException for an unknown name
    }
}

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Plain text in UTF-8, UTF-16/32 (with a BOM) or the legacy Chinese encodings Big5 and GB18030.
/// Paragraphs are the runs of lines between blank lines.
/// </summary>
public sealed class PlainTextReader(ReaderOptions options) : IDocumentReader
{
    public const string MediaType = "text/plain";

    public PlainTextReader() : this(new ReaderOptions())
    {
    }

    public bool CanRead(string fileName, ReadOnlySpan<byte> head)
    {
        var format = ContentSniffer.Sniff(head);
        if (format is not (SniffedFormat.Text or SniffedFormat.Empty or SniffedFormat.Html))
            return false;
        if (ContentSniffer.HasExtension(fileName, ".txt", ".text"))
            return true;
        // A file with no known extension is read as text when its bytes are text (not HTML).
        return format != SniffedFormat.Html && !DocumentReaderRegistry.IsKnownExtension(fileName);
    }

    public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
    {
        // Cleaned as it is decoded: a file over the text limit is refused after reading just past the
        // limit, never held whole (a 49 MB upload once cost the server 350 MB it kept).
        var sink = new DecodedTextSink(clean: true, options.MaxTextCharacters);
        var text = (await ReaderSupport.ReadTextAsync(content, context, sink, cancellationToken).ConfigureAwait(false)).Text;
        return new Document(context.DocumentId, context.Source, text, SplitParagraphs(text)) { MediaType = MediaType };
    }

    /// <summary>Blocks for the runs of non-blank lines, each trimmed of surrounding whitespace.</summary>
    internal static List<DocumentBlock> SplitParagraphs(string text)
    {
        var blocks = new List<DocumentBlock>();
        int paragraphStart = -1, paragraphEnd = -1, lineStart = 0;
        while (lineStart <= text.Length)
        {
            int newline = text.IndexOf('\n', lineStart);
            int lineEnd = newline < 0 ? text.Length : newline;
            var line = text.AsSpan(lineStart, lineEnd - lineStart);
            if (line.IsWhiteSpace())
            {
                Close();
            }
            else
            {
                int firstNonBlank = lineStart + (line.Length - line.TrimStart().Length);
                if (paragraphStart < 0)
                    paragraphStart = firstNonBlank;
                paragraphEnd = lineStart + line.TrimEnd().Length;
            }
            if (newline < 0)
                break;
            lineStart = newline + 1;
        }
        Close();
        return blocks;

        void Close()
        {
            if (paragraphStart >= 0)
                blocks.Add(new DocumentBlock(BlockKind.Paragraph, paragraphStart, paragraphEnd - paragraphStart));
            paragraphStart = -1;
        }
    }
}

using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Word .docx via the Open XML SDK: headings (Title, Heading 1-9 or an outline level) as
/// structure, paragraphs, list items, and tables as "a | b | c" rows. The zip is checked against
/// <see cref="ReaderOptions.MaxDecompressedBytes"/> before anything is inflated.
/// </summary>
public sealed class DocxReader(ReaderOptions options) : IDocumentReader
{
    public const string MediaType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    /// <summary>A real document has dozens of parts; hundreds of thousands is an attack on the reader.</summary>
    private const int MaxZipEntries = 10_000;

    public bool CanRead(string fileName, ReadOnlySpan<byte> head)
    {
        var format = ContentSniffer.Sniff(head);
        return format == SniffedFormat.Docx
            || (ContentSniffer.HasExtension(fileName, ".docx") && format is not SniffedFormat.Pdf);
    }

    public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
    {
        var bytes = await ReaderSupport.ReadAllBytesAsync(content, cancellationToken).ConfigureAwait(false);
        CheckZip(bytes, context);
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var package = WordprocessingDocument.Open(stream, isEditable: false, new OpenSettings
            {
                AutoSave = false,
                MaxCharactersInPart = options.MaxDecompressedBytes,
            });
            return Read(package, context, cancellationToken);
        }
        catch (Exception e) when (e is not (DocumentReadException or OperationCanceledException))
        {
            throw new DocumentReadException(context.Source, $"damaged .docx: {e.Message}", e);
        }
    }

    /// <summary>
    /// Refuses archives that would unpack past the limit, judged by the sizes the zip declares.
    /// .NET's zip reader will not inflate an entry past its declared size, so the declared sizes
    /// bound what the Open XML SDK can unpack.
    /// </summary>
    private void CheckZip(byte[] bytes, DocumentReadContext context)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            if (zip.Entries.Count > MaxZipEntries)
                throw new DocumentReadException(context.Source, $"zip bomb? the .docx holds {zip.Entries.Count} parts (more than {MaxZipEntries})");
            long total = 0;
            bool hasBody = false;
            foreach (var entry in zip.Entries)
            {
                total += entry.Length;
                if (total > options.MaxDecompressedBytes)
                {
                    throw new DocumentReadException(context.Source,
                        $"zip bomb? the .docx unpacks to more than {options.MaxDecompressedBytes / (1024 * 1024.0):0.#} MB " +
                        "(ReaderOptions.MaxDecompressedBytes): refused before unpacking");
                }
                hasBody |= entry.FullName.Equals("word/document.xml", StringComparison.OrdinalIgnoreCase);
            }
            if (!hasBody)
                throw new DocumentReadException(context.Source, "not a Word document: the zip has no word/document.xml");
        }
        catch (InvalidDataException e)
        {
            throw new DocumentReadException(context.Source, $"truncated or corrupt .docx (not a complete zip archive: {e.Message})", e);
        }
    }

    private static Document Read(WordprocessingDocument package, DocumentReadContext context, CancellationToken cancellationToken)
    {
        var main = package.MainDocumentPart ?? throw new DocumentReadException(context.Source, "not a Word document: no main document part");
        var body = main.Document?.Body;
        var styles = new DocxStyles(main.StyleDefinitionsPart?.Styles);
        var builder = new DocumentTextBuilder();
        string? titleParagraph = null, firstHeading = null;

        var pending = new Stack<OpenXmlElement>();
        if (body is not null)
            PushChildren(pending, body);
        int visited = 0;
        while (pending.Count > 0)
        {
            if (++visited % 1024 == 0)
                cancellationToken.ThrowIfCancellationRequested();
            switch (pending.Pop())
            {
                case Paragraph paragraph:
                    var text = ParagraphText(paragraph);
                    var (level, isTitle, isList) = styles.Classify(paragraph);
                    if (isTitle)
                        titleParagraph ??= text.Trim();
                    if (level > 0)
                    {
                        firstHeading ??= text.Trim();
                        builder.Add(BlockKind.Heading, text, level);
                    }
                    else
                    {
                        builder.Add(isList ? BlockKind.ListItem : BlockKind.Paragraph, text);
                    }
                    break;
                case Table table:
                    builder.Add(BlockKind.Table, TableText(table));
                    break;
                case var other: // content controls, custom XML and the like wrap paragraphs and tables
                    PushChildren(pending, other);
                    break;
            }
        }

        var title = package.PackageProperties.Title;
        return builder.Build(context, MediaType, string.IsNullOrWhiteSpace(title) ? titleParagraph ?? firstHeading : title);
    }

    private static void PushChildren(Stack<OpenXmlElement> pending, OpenXmlElement parent)
    {
        var children = parent.ChildElements;
        for (int i = children.Count - 1; i >= 0; i--)
            pending.Push(children[i]);
    }

    internal static string ParagraphText(OpenXmlElement paragraph)
    {
        var text = new StringBuilder();
        foreach (var element in paragraph.Descendants())
        {
            switch (element)
            {
                case Text t: text.Append(t.Text); break;
                case TabChar: text.Append('\t'); break;
                case Break or CarriageReturn: text.Append('\n'); break;
                case NoBreakHyphen: text.Append('-'); break;
            }
        }
        return text.ToString();
    }

    private static string TableText(Table table)
    {
        var rows = new List<string>();
        foreach (var row in table.Elements<TableRow>())
        {
            var cells = row.Elements<TableCell>()
                .Select(cell => string.Join(" ", cell.Descendants<Paragraph>().Select(ParagraphText).Select(t => t.Trim()).Where(t => t.Length > 0)))
                .ToArray();
            if (cells.Any(cell => cell.Length > 0))
                rows.Add(string.Join(" | ", cells));
        }
        return string.Join('\n', rows);
    }
}

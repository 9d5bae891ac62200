using System.Text;
using System.Xml;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Word .docx (transitional and strict) read as a stream: headings (Title, Heading 1-9 or an outline
/// level) as structure, paragraphs, list items, tables as "a | b | c" rows, text boxes; then the
/// footnotes and endnotes the body refers to, under "Footnotes" and "Endnotes" headings and numbered as
/// their [1] and [i] markers in the text, and the comments under "Comments", each with its author and
/// the text it is on. Nesting depth, the text produced and cancellation are checked as the XML streams
/// by (<see cref="DocxLimits"/>), so a small hostile file is refused in the time it takes to read it.
/// </summary>
public sealed class DocxReader(ReaderOptions options) : IDocumentReader
{
    public const string MediaType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    private const string DublinCore = "http://purl.org/dc/elements/1.1/";

    public bool CanRead(string fileName, ReadOnlySpan<byte> head)
    {
        var format = ContentSniffer.Sniff(head);
        return format == SniffedFormat.Docx
            || (ContentSniffer.HasExtension(fileName, ".docx") && format is not SniffedFormat.Pdf);
    }

    public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
    {
        // The zip is read where it lies (a file, an upload buffered on disk): only the parts read are inflated.
        var zip = await ReaderSupport.SeekableAsync(content, cancellationToken).ConfigureAwait(false);
        try
        {
            using var package = DocxPackage.Open(zip, options, context.Source);
            return Read(package, context, new DocxLimits(options, context.Source, cancellationToken));
        }
        catch (XmlException e)
        {
            throw new DocumentReadException(context.Source, $"damaged .docx: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new DocumentReadException(context.Source, $"damaged .docx: a part cannot be unpacked ({e.Message})", e);
        }
        finally
        {
            if (!ReferenceEquals(zip, content))
                await zip.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Document Read(DocxPackage package, DocumentReadContext context, DocxLimits limits)
    {
        var styles = package.RelatedParts.TryGetValue("styles", out var stylesPart) && package.HasPart(stylesPart)
            ? ReadPart(package, stylesPart, reader => DocxStyles.Read(reader, limits))
            : DocxStyles.Empty;
        var walker = new DocxStoryWalker(styles, limits);
        var body = new BodyStory(new DocumentTextBuilder(options.MaxTextCharacters));
        ReadPart(package, package.MainPart, reader =>
        {
            walker.Walk(reader, story => story.LocalName == "body" ? body : null);
            return 0;
        });

        var footnotes = ReadNotes(package, "footnotes", "footnote", walker, reader => null);
        var endnotes = ReadNotes(package, "endnotes", "endnote", walker, reader => null);
        var authors = new Dictionary<string, string>(StringComparer.Ordinal);
        var comments = ReadNotes(package, "comments", "comment", walker, reader => DocxXml.Attribute(reader, "author"), authors);

        var builder = body.Builder;
        AddSection(builder, "Footnotes", walker.Footnotes.Select((id, i) => (id, $"[{i + 1}]")), footnotes);
        AddSection(builder, "Endnotes", walker.Endnotes.Select((id, i) => (id, $"[{DocxStoryWalker.Roman(i + 1)}]")), endnotes);
        AddComments(builder, walker, comments, authors);

        if (builder.BlockCount == 0)
        {
            throw new DocumentReadException(context.Source, walker.Pictures > 0
                ? $"no text: the document holds only {(walker.Pictures == 1 ? "a picture" : $"{walker.Pictures} pictures")}; add captions or OCR them to index them"
                : "no text: the document is empty");
        }
        var title = ReadTitle(package, limits);
        return builder.Build(context, MediaType, string.IsNullOrWhiteSpace(title) ? body.TitleParagraph ?? body.FirstHeading : title);
    }

    private static T ReadPart<T>(DocxPackage package, string part, Func<XmlReader, T> read)
    {
        using var reader = package.OpenPart(part);
        return read(reader);
    }

    /// <summary>The notes of one kind by id, in the order the part lists them; separators are skipped.</summary>
    private static Dictionary<string, List<DocxBlock>> ReadNotes(DocxPackage package, string kind, string element,
        DocxStoryWalker walker, Func<XmlReader, string?> label, Dictionary<string, string>? labels = null)
    {
        var notes = new Dictionary<string, List<DocxBlock>>(StringComparer.Ordinal);
        if (!package.RelatedParts.TryGetValue(kind, out var part) || !package.HasPart(part))
            return notes;
        ReadPart(package, part, reader =>
        {
            walker.Walk(reader, story =>
            {
                if (story.LocalName != element || DocxXml.Attribute(story, "type") is "separator" or "continuationSeparator" or "continuationNotice")
                    return null;
                var id = DocxXml.Attribute(story, "id") ?? "";
                if (labels is not null && label(story) is { Length: > 0 } text)
                    labels.TryAdd(id, text);
                var note = new NoteStory();
                notes.TryAdd(id, note.Blocks);
                return note;
            });
            return 0;
        });
        return notes;
    }

    /// <summary>Notes under a heading of their own, each opened by the marker the body shows: "[1] The note."</summary>
    private static void AddSection(DocumentTextBuilder builder, string heading, IEnumerable<(string Id, string Marker)> referenced,
        Dictionary<string, List<DocxBlock>> notes)
    {
        var entries = referenced
            .Select(r => (r.Marker, Text: notes.TryGetValue(r.Id, out var blocks) ? NoteText(blocks) : ""))
            .Where(e => e.Text.Length > 0)
            .ToList();
        if (entries.Count == 0)
            return;
        builder.Add(BlockKind.Heading, heading, 1);
        foreach (var (marker, text) in entries)
            builder.Add(BlockKind.Paragraph, $"{marker} {text}");
    }

    /// <summary>Comments the body anchors first, in its order, then any others: "Author on “anchored text”: comment".</summary>
    private static void AddComments(DocumentTextBuilder builder, DocxStoryWalker walker, Dictionary<string, List<DocxBlock>> comments,
        Dictionary<string, string> authors)
    {
        var order = walker.Comments.Where(comments.ContainsKey).Concat(comments.Keys.Except(walker.Comments)).ToList();
        var entries = new List<string>();
        foreach (var id in order)
        {
            var text = NoteText(comments[id]);
            if (text.Length == 0)
                continue;
            var quoted = walker.CommentedText.TryGetValue(id, out var range) ? HtmlReader.CollapseWhitespace(range.ToString()) : "";
            var author = authors.GetValueOrDefault(id);
            var prefix = (author, quoted.Length > 0) switch
            {
                (not null, true) => $"{author} on “{quoted}”: ",
                (not null, false) => $"{author}: ",
                (null, true) => $"On “{quoted}”: ",
                _ => "",
            };
            entries.Add(prefix + text);
        }
        if (entries.Count == 0)
            return;
        builder.Add(BlockKind.Heading, "Comments", 1);
        foreach (var entry in entries)
            builder.Add(BlockKind.Paragraph, entry);
    }

    private static string NoteText(List<DocxBlock> blocks) =>
        string.Join('\n', blocks.Select(b => b.Text.Trim()).Where(t => t.Length > 0));

    private static string? ReadTitle(DocxPackage package, DocxLimits limits)
    {
        if (!package.HasPart(package.CorePropertiesPart))
            return null;
        return ReadPart(package, package.CorePropertiesPart!, reader =>
        {
            while (reader.Read())
            {
                limits.Check(reader);
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "title" && reader.NamespaceURI == DublinCore && !reader.IsEmptyElement)
                {
                    var title = new StringBuilder();
                    while (reader.Read() && reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace or XmlNodeType.Whitespace)
                    {
                        limits.Take(reader.Value.Length);
                        title.Append(reader.Value);
                    }
                    return title.ToString();
                }
            }
            return null;
        });
    }

    /// <summary>The body: blocks go straight into the document; the first Title and heading paragraphs are remembered.</summary>
    private sealed class BodyStory(DocumentTextBuilder builder) : IDocxStory
    {
        public DocumentTextBuilder Builder { get; } = builder;
        public string? TitleParagraph { get; private set; }
        public string? FirstHeading { get; private set; }

        public void Add(DocxBlock block)
        {
            var text = block.Text.Trim();
            if (text.Length == 0)
                return;
            if (block.IsTitle)
                TitleParagraph ??= text;
            if (block.Kind == BlockKind.Heading)
                FirstHeading ??= text;
            Builder.Add(block.Kind, block.Text, block.Level);
        }
    }

    private sealed class NoteStory : IDocxStory
    {
        public List<DocxBlock> Blocks { get; } = [];

        public void Add(DocxBlock block) => Blocks.Add(block);
    }
}

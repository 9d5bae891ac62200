using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace KnowledgeQa.Retrieval.Tests.Documents;

/// <summary>A folder of its own under the temp folder, removed afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kqa-readers-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relativePath, byte[] bytes)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public string Write(string relativePath, string text) => Write(relativePath, Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Text lines to place on a generated PDF page.</summary>
public sealed record PdfLine(string Text, double X, double Y, double Size = 11);

/// <summary>Builds the test documents: PDFs with PdfPig's writer, .docx with the Open XML SDK.</summary>
public static class TestFiles
{
    public static byte[] Pdf(params IReadOnlyList<PdfLine>[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var lines in pages)
        {
            var page = builder.AddPage(595, 842);
            foreach (var line in lines)
                page.AddText(line.Text, line.Size, new PdfPoint(line.X, line.Y), font);
        }
        return builder.Build();
    }

    /// <summary>A page of body text: lines 14 points apart, starting from the top.</summary>
    public static List<PdfLine> Body(double top, params string[] lines) =>
        lines.Select((text, i) => new PdfLine(text, 60, top - i * 14)).ToList();

    public static byte[] PdfWithOnlyARectangle()
    {
        var builder = new PdfDocumentBuilder();
        var page = builder.AddPage(595, 842);
        page.DrawRectangle(new PdfPoint(100, 100), 300, 200, 2, fill: true);
        return builder.Build();
    }

    /// <summary>A page that holds one picture and no text, as a scanner makes them.</summary>
    public static byte[] PdfWithOnlyAnImage()
    {
        // A 1x1 grey PNG.
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==");
        var builder = new PdfDocumentBuilder();
        var page = builder.AddPage(595, 842);
        page.AddPng(png, new PdfRectangle(50, 50, 545, 792));
        return builder.Build();
    }

    /// <summary>A valid PDF whose trailer names a standard security handler: a password is needed.</summary>
    public static byte[] EncryptedPdf()
    {
        var text = Encoding.Latin1.GetString(Pdf(Body(780, "Secret text")));
        var hex = "<" + string.Concat(Enumerable.Repeat("AB", 32)) + ">";
        var encrypt = $"/Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /O {hex} /U {hex} /P -4 >> ";
        int trailer = text.LastIndexOf("trailer", StringComparison.Ordinal);
        int dictionary = text.IndexOf("<<", trailer, StringComparison.Ordinal);
        return Encoding.Latin1.GetBytes(text.Insert(dictionary + 2, " " + encrypt));
    }

    public sealed record DocxParagraph(string Text, string? Style = null, bool Numbered = false, int? OutlineLevel = null);

    public static byte[] Docx(string? title, IEnumerable<OpenXmlElement> bodyElements)
    {
        using var stream = new MemoryStream();
        using (var package = WordprocessingDocument.Create(stream, DocumentFormat.OpenXml.WordprocessingDocumentType.Document))
        {
            if (title is not null)
                package.PackageProperties.Title = title;
            var main = package.AddMainDocumentPart();
            var styles = main.AddNewPart<StyleDefinitionsPart>();
            styles.Styles = new Styles(
                new Style(new StyleName { Val = "heading 1" }) { StyleId = "Heading1", Type = StyleValues.Paragraph },
                new Style(new StyleName { Val = "heading 2" }) { StyleId = "Heading2", Type = StyleValues.Paragraph },
                // A custom style that is a heading only through what it is based on.
                new Style(new StyleName { Val = "Chapter Sub" }, new BasedOn { Val = "Heading2" }) { StyleId = "ChapterSub", Type = StyleValues.Paragraph });
            main.Document = new DocumentFormat.OpenXml.Wordprocessing.Document(new Body(bodyElements));
        }
        return stream.ToArray();
    }

    public static Paragraph Para(string text, string? style = null, bool numbered = false, int? outlineLevel = null)
    {
        var properties = new ParagraphProperties();
        if (style is not null)
            properties.Append(new ParagraphStyleId { Val = style });
        if (numbered)
            properties.Append(new NumberingProperties(new NumberingLevelReference { Val = 0 }, new NumberingId { Val = 1 }));
        if (outlineLevel is int level)
            properties.Append(new OutlineLevel { Val = level });
        return new Paragraph(properties, new Run(new Text(text) { Space = SpaceProcessingModeValues.Preserve }));
    }

    public static Table Table(params string[][] rows) =>
        new(rows.Select(cells => new TableRow(cells.Select(cell => new TableCell(Para(cell))))));

    /// <summary>A zip that holds a tiny Word body and megabytes of zeros that compress to almost nothing.</summary>
    public static byte[] DocxZipBomb(int zeroMegabytes)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var writer = new StreamWriter(zip.CreateEntry("[Content_Types].xml").Open()))
                writer.Write("<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>");
            using (var writer = new StreamWriter(zip.CreateEntry("word/document.xml").Open()))
                writer.Write("<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body/></w:document>");
            using var zeros = zip.CreateEntry("word/media/zeros.bin", CompressionLevel.SmallestSize).Open();
            var block = new byte[1024 * 1024];
            for (int i = 0; i < zeroMegabytes; i++)
                zeros.Write(block);
        }
        return stream.ToArray();
    }

    public const string WordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    /// <summary>
    /// A .docx written from raw WordprocessingML: <paramref name="body"/> goes inside w:body; each extra
    /// part (footnotes, endnotes, comments: the kind names the relationship and the file) holds the given
    /// root element's content. The XML can be as large or as deep as a test needs without building a DOM.
    /// </summary>
    public static byte[] DocxXml(string body, IReadOnlyDictionary<string, string>? parts = null, int repeatBody = 1)
    {
        parts ??= new Dictionary<string, string>();
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            WriteEntry(zip, "[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">" +
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>" +
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>");
            WriteEntry(zip, "_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" +
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>");
            var relationships = new StringBuilder("<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">");
            var id = 1;
            foreach (var (kind, content) in parts)
            {
                relationships.Append($"<Relationship Id=\"rId{id++}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}\" Target=\"{kind}.xml\"/>");
                WriteEntry(zip, $"word/{kind}.xml", $"<?xml version=\"1.0\"?><w:{kind} xmlns:w=\"{WordNamespace}\">{content}</w:{kind}>");
            }
            WriteEntry(zip, "word/_rels/document.xml.rels", relationships.Append("</Relationships>").ToString());
            using var writer = new StreamWriter(zip.CreateEntry("word/document.xml", CompressionLevel.SmallestSize).Open());
            writer.Write($"<?xml version=\"1.0\"?><w:document xmlns:w=\"{WordNamespace}\" " +
                "xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" xmlns:v=\"urn:schemas-microsoft-com:vml\"><w:body>");
            for (var i = 0; i < repeatBody; i++)
                writer.Write(body);
            writer.Write("</w:body></w:document>");
        }
        return stream.ToArray();
    }

    /// <summary>A paragraph of one run: "&lt;w:p&gt;&lt;w:r&gt;&lt;w:t&gt;text&lt;/w:t&gt;&lt;/w:r&gt;&lt;/w:p&gt;".</summary>
    public static string P(string text) => $"<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>";

    public static string Nested(string open, string close, int depth, string inner) =>
        string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));

    private static void WriteEntry(ZipArchive zip, string name, string text)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name).Open());
        writer.Write(text);
    }
}

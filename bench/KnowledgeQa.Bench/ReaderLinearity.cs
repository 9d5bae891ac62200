using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Bench;

/// <summary>
/// Whether each reader's cost grows in step with its input: every case is read at four sizes (n, 2n,
/// 4n, 8n unless the case names its own, such as 1,000 to 20,000 nested tables), each the median of
/// --runs reads from disk through <see cref="DocumentReaderRegistry.ReadFileAsync"/>, with the time and
/// the bytes allocated. Each step prints the time and allocation ratios and the growth exponent
/// log(time ratio) / log(size ratio): about 1 is linear, 2 quadratic, about 0 a bound that holds
/// (hostile files refused after reading a fixed amount). The hostile shapes are those of the attack run
/// in issue 18: nested .docx tables and content controls, a Markdown list nested past the limit,
/// a .docx whose text is huge but under the unpack limit, deep HTML.
/// </summary>
internal static class ReaderLinearity
{
    private const string WordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    private sealed record Case(string Name, string Extension, string Unit, long[] Sizes, Func<long, byte[]> Make);

    public static async Task RunAsync(string folder, int runs)
    {
        var registry = DocumentReaderRegistry.CreateDefault();
        var random = new Random(5);
        long[] doubling(long n) => [n, 2 * n, 4 * n, 8 * n];
        const long MB = 1024 * 1024;
        var cases = new List<Case>
        {
            new("text, prose", "txt", "bytes", doubling(MB), n => Encoding.UTF8.GetBytes(ProseOf(random, n))),
            new("text, one line, no spaces", "txt", "bytes", doubling(MB), n => Encoding.ASCII.GetBytes(new string('x', (int)n))),
            new("markdown, sections + lists", "md", "bytes", doubling(MB / 2), n => Encoding.UTF8.GetBytes(MarkdownOf(random, n))),
            new("markdown, '- - - x' past limit", "md", "bytes", doubling(MB / 2), n => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("- ", (int)(n / 2))) + "x\n")),
            new("markdown, indented list past limit", "md", "bytes", doubling(MB / 2), n => Encoding.ASCII.GetBytes(IndentedList(n))),
            new("html, sections", "html", "bytes", doubling(MB / 2), n => Encoding.UTF8.GetBytes(HtmlOf(random, n))),
            new("html, nested divs", "html", "divs", doubling(25_000), n => Encoding.ASCII.GetBytes("<html><body>" + string.Concat(Enumerable.Repeat("<div>", (int)n)) + "x</body></html>")),
            new("docx, paragraphs", "docx", "paragraphs", doubling(2_000), n => Docx(w => Repeat(w, n, i => Paragraph(ReaderBenchmark.Sentence(random, 20))))),
            new("docx, nested tables", "docx", "levels", [1_000, 2_000, 4_000, 20_000],
                n => Docx(w => Nested(w, n, "<w:tbl><w:tr><w:tc>", Paragraph("deep") + "</w:tc></w:tr></w:tbl>", Paragraph("x")))),
            new("docx, nested content controls", "docx", "levels", [1_000, 2_000, 4_000, 20_000],
                n => Docx(w => Nested(w, n, "<w:sdt><w:sdtContent>", "</w:sdtContent></w:sdt>", Paragraph("deep")))),
            new("docx, text under unpack limit", "docx", "MB of XML", [22, 45, 90, 180],
                n => Docx(w => Repeat(w, n * MB / Paragraph(Lorem).Length, _ => Paragraph(Lorem)))),
            new("docx, footnote references", "docx", "references", doubling(5_000),
                n => Docx(w => Repeat(w, n, i => $"<w:p><w:r><w:t>see note</w:t></w:r><w:r><w:footnoteReference w:id=\"{i + 1}\"/></w:r></w:p>"),
                    ("footnotes", w => Repeat(w, n, i => $"<w:footnote w:id=\"{i + 1}\">{Paragraph($"note {i}")}</w:footnote>")))),
            new("docx, open comment ranges", "docx", "ranges", doubling(5_000),
                n => Docx(w => Repeat(w, n, i => $"<w:p><w:commentRangeStart w:id=\"{i}\"/><w:r><w:t>commented text {i}</w:t></w:r></w:p>"))),
            new("pdf, pages", "pdf", "pages", doubling(25), n => ReaderBenchmark.Pdf(random, (int)n)),
        };

        Console.WriteLine();
        Console.WriteLine($"linearity: median of {runs} reads per size; ratios per step (linear: time x size ratio, exponent ~1; quadratic: exponent ~2); load {LoadAverage.Read()}");
        Console.WriteLine($"{"case",-34} {"size",12} {"file KB",9} {"outcome",-10} {"ms",9} {"alloc MB",9} {"t ratio",8} {"a ratio",8} {"exp",6}");
        foreach (var item in cases)
        {
            (long Size, double Ms, double Allocated)? previous = null;
            foreach (var size in item.Sizes)
            {
                var path = Path.Combine(folder, $"linearity-{size}.{item.Extension}");
                await File.WriteAllBytesAsync(path, item.Make(size));
                var fileKb = new FileInfo(path).Length / 1024.0;
                await ReadOnceAsync(registry, path); // JIT and lazy tables out of the timing
                var times = new List<double>();
                var allocations = new List<double>();
                var outcome = "";
                for (var run = 0; run < runs; run++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                    var clock = Stopwatch.StartNew();
                    outcome = await ReadOnceAsync(registry, path);
                    times.Add(clock.Elapsed.TotalMilliseconds);
                    allocations.Add(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
                }
                File.Delete(path);
                var ms = Stats.Median(times);
                var allocated = Stats.Median(allocations);
                var step = previous is { } p
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"{ms / p.Ms,8:0.00} {allocated / p.Allocated,8:0.00} {Math.Log(ms / p.Ms) / Math.Log((double)size / p.Size),6:0.00}")
                    : $"{"",8} {"",8} {"",6}";
                Console.WriteLine($"{item.Name,-34} {$"{size:N0} {Short(item.Unit)}",12} {fileKb,9:0} {outcome,-10} {ms,9:0.0} {allocated / MB,9:0.0} {step}");
                previous = (size, ms, allocated);
            }
        }
        Console.WriteLine($"load after: {LoadAverage.Read()}");
    }

    private static string Short(string unit) => unit switch
    {
        "bytes" => "B",
        "MB of XML" => "MB",
        _ => unit[..Math.Min(4, unit.Length)],
    };

    /// <summary>"read", or "refused" (a DocumentReadException: what the hostile cases are meant to end in).</summary>
    private static async Task<string> ReadOnceAsync(DocumentReaderRegistry registry, string path)
    {
        try
        {
            await registry.ReadFileAsync(path, Path.GetFileName(path));
            return "read";
        }
        catch (DocumentReadException)
        {
            return "refused";
        }
    }

    private const string Lorem = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua";

    private static string ProseOf(Random random, long bytes)
    {
        var text = new StringBuilder();
        while (text.Length < bytes)
            text.Append(ReaderBenchmark.Sentence(random, 14)).Append(text.Length % 800 < 100 ? "\n\n" : " ");
        return text.ToString();
    }

    private static string MarkdownOf(Random random, long bytes)
    {
        var text = new StringBuilder("# Guide\n\n");
        for (var section = 0; text.Length < bytes; section++)
        {
            text.Append($"## Section {section}\n\n{ReaderBenchmark.Sentence(random, 30)} **bold** and [a link](https://example.com/{section}).\n\n");
            text.Append($"- {ReaderBenchmark.Sentence(random, 8)}\n  - {ReaderBenchmark.Sentence(random, 8)}\n- {ReaderBenchmark.Sentence(random, 8)}\n\n");
            text.Append("| key | value |\n|-----|-------|\n| a | 1 |\n\n");
        }
        return text.ToString();
    }

    /// <summary>Each line indented two more spaces: as deep as the file allows (lines of 2i spaces for i up to about sqrt(bytes)).</summary>
    private static string IndentedList(long bytes)
    {
        var text = new StringBuilder();
        for (var i = 0; text.Length < bytes; i++)
            text.Append(' ', 2 * i).Append("- item\n");
        return text.ToString();
    }

    private static string HtmlOf(Random random, long bytes)
    {
        var text = new StringBuilder("<!DOCTYPE html><html><head><title>Generated</title></head><body><main><h1>Guide</h1>");
        for (var section = 0; text.Length < bytes; section++)
        {
            text.Append($"<h2>Section {section}</h2><p>{ReaderBenchmark.Sentence(random, 30)} <b>bold</b> <a href='#'>link</a>.</p>");
            text.Append($"<ul><li>{ReaderBenchmark.Sentence(random, 8)}</li><li>{ReaderBenchmark.Sentence(random, 8)}</li></ul>");
            text.Append("<table><tr><th>key</th><th>value</th></tr><tr><td>a</td><td>1</td></tr></table>");
        }
        return text.Append("</main></body></html>").ToString();
    }

    private static string Paragraph(string text) => $"<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>";

    private static void Repeat(TextWriter writer, long count, Func<long, string> item)
    {
        for (long i = 0; i < count; i++)
            writer.Write(item(i));
    }

    private static void Nested(TextWriter writer, long depth, string open, string close, string inner)
    {
        Repeat(writer, depth, _ => open);
        writer.Write(inner);
        Repeat(writer, depth, _ => close);
    }

    /// <summary>A minimal .docx whose body (and optional related parts) the callbacks write straight into the zip.</summary>
    private static byte[] Docx(Action<TextWriter> body, params (string Kind, Action<TextWriter> Write)[] parts)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            Entry(zip, "[Content_Types].xml", w => w.Write("<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">" +
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>" +
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>"));
            Entry(zip, "_rels/.rels", w => w.Write("<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" +
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>"));
            Entry(zip, "word/_rels/document.xml.rels", w =>
            {
                w.Write("<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">");
                for (var i = 0; i < parts.Length; i++)
                    w.Write($"<Relationship Id=\"rId{i + 1}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{parts[i].Kind}\" Target=\"{parts[i].Kind}.xml\"/>");
                w.Write("</Relationships>");
            });
            foreach (var (kind, write) in parts)
            {
                Entry(zip, $"word/{kind}.xml", w =>
                {
                    w.Write($"<?xml version=\"1.0\"?><w:{kind} xmlns:w=\"{WordNamespace}\">");
                    write(w);
                    w.Write($"</w:{kind}>");
                });
            }
            Entry(zip, "word/document.xml", w =>
            {
                w.Write($"<?xml version=\"1.0\"?><w:document xmlns:w=\"{WordNamespace}\"><w:body>");
                body(w);
                w.Write("</w:body></w:document>");
            });
        }
        return stream.ToArray();
    }

    private static void Entry(ZipArchive zip, string name, Action<TextWriter> write)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name, CompressionLevel.Fastest).Open(), new UTF8Encoding(false), 1 << 16);
        write(writer);
    }
}

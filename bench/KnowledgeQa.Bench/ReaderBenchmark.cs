using System.Diagnostics;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using KnowledgeQa.Retrieval.Documents;
using Document = KnowledgeQa.Retrieval.Documents.Document;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace KnowledgeQa.Bench;

/// <summary>
/// Reader throughput on files it generates: pages/s for PDF, files/s (and MB/s) for the other
/// readers, each read from disk through <see cref="DocumentReaderRegistry.ReadFileAsync"/> as an
/// ingest would; then whether each reader is linear (<see cref="ReaderLinearity"/>). Options: --files N
/// (files per format, default 200), --pdf-pages N (default 200), --runs N (reads per size in the
/// linearity part, default 3), --part throughput|linearity (default both).
/// </summary>
internal static class ReaderBenchmark
{
    private static readonly string[] Words =
        "the knowledge base answers questions from documents with citations that point at pages and headings while search blends dense and lexical ranking"
            .Split(' ');

    public static async Task RunAsync(string[] options)
    {
        int files = Option(options, "--files", 200);
        int pdfPages = Option(options, "--pdf-pages", 200);
        var part = BenchArgs.String(options, "--part");
        var folder = Path.Combine(Path.GetTempPath(), "kqa-reader-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            if (part != "linearity")
                await ThroughputAsync(folder, files, pdfPages);
            if (part != "throughput")
                await ReaderLinearity.RunAsync(folder, Option(options, "--runs", 3));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task ThroughputAsync(string folder, int files, int pdfPages)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var registry = DocumentReaderRegistry.CreateDefault();
        var random = new Random(42);
        Console.WriteLine($"generating {files} files per format and a {pdfPages}-page PDF in {folder}");

        var sets = new List<(string Name, string[] Paths, Func<Document, int> Units, string Unit)>
        {
            ("text (UTF-8)", Write(folder, "txt", files, i => Encoding.UTF8.GetBytes(Prose(random, 40))), _ => 1, "files"),
            ("text (Big5, detected)", Write(folder, "big5.txt", files, i => Encoding.GetEncoding("big5").GetBytes(ChineseProse(random, 40))), _ => 1, "files"),
            ("markdown", Write(folder, "md", files, i => Encoding.UTF8.GetBytes(Markdown(random))), _ => 1, "files"),
            ("html", Write(folder, "html", files, i => Encoding.UTF8.GetBytes(Html(random))), _ => 1, "files"),
            ("docx", Write(folder, "docx", files, i => Docx(random)), _ => 1, "files"),
            ("pdf", Write(folder, "pdf", 1, i => Pdf(random, pdfPages)), d => d.Blocks.Select(b => b.Page).Distinct().Count(), "pages"),
        };

        Console.WriteLine($"{"reader",-24} {"count",8} {"seconds",9} {"per second",12} {"MB/s",8}");
        foreach (var (name, paths, units, unit) in sets)
        {
            await registry.ReadFileAsync(paths[0], "warmup"); // JIT and lazy tables out of the timing
            long bytes = paths.Sum(p => new FileInfo(p).Length);
            int count = 0;
            var clock = Stopwatch.StartNew();
            foreach (var path in paths)
                count += units(await registry.ReadFileAsync(path, Path.GetFileName(path)));
            clock.Stop();
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"{name,-24} {count,8} {seconds,9:0.00} {count / seconds,8:0.0} {unit,-3} {bytes / seconds / (1024 * 1024),8:0.0}");
        }
    }

    private static int Option(string[] options, string name, int fallback)
    {
        int index = Array.IndexOf(options, name);
        return index >= 0 && index + 1 < options.Length && int.TryParse(options[index + 1], out var value) ? value : fallback;
    }

    private static string[] Write(string folder, string extension, int count, Func<int, byte[]> make) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var path = Path.Combine(folder, $"{extension.Replace('.', '-')}-{i:D4}.{extension.Split('.')[^1]}");
            File.WriteAllBytes(path, make(i));
            return path;
        }).ToArray();

    internal static string Sentence(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)])) + ".";

    private static string Prose(Random random, int paragraphs) =>
        string.Join("\n\n", Enumerable.Range(0, paragraphs).Select(_ => string.Join(' ', Enumerable.Range(0, 4).Select(_ => Sentence(random, 14)))));

    private static string ChineseProse(Random random, int paragraphs)
    {
        const string chars = "知識庫問答系統會讀取文件並根據內容回答使用者的問題這些包括說明書報告與網頁搜尋結果引用頁碼標題";
        return string.Join("\n\n", Enumerable.Range(0, paragraphs).Select(_ =>
            new string(Enumerable.Range(0, 120).Select(_ => chars[random.Next(chars.Length)]).ToArray()) + "。"));
    }

    private static string Markdown(Random random)
    {
        var text = new StringBuilder("---\ntitle: Generated\n---\n\n# Guide\n\n");
        for (int section = 0; section < 8; section++)
        {
            text.Append($"## Section {section}\n\n{Sentence(random, 30)} **bold** and [a link](https://example.com/{section}).\n\n");
            text.Append($"- {Sentence(random, 8)}\n- {Sentence(random, 8)}\n\n```csharp\nvar x = {section};\n```\n\n");
            text.Append("| key | value |\n|-----|-------|\n| a | 1 |\n| b | 2 |\n\n");
        }
        return text.ToString();
    }

    private static string Html(Random random)
    {
        var text = new StringBuilder("<!DOCTYPE html><html><head><title>Generated</title><script>var a = 1;</script></head><body>");
        text.Append("<header><nav><ul><li>Home</li><li>Docs</li></ul></nav></header><main><h1>Guide</h1>");
        for (int section = 0; section < 8; section++)
        {
            text.Append($"<h2>Section {section}</h2><p>{Sentence(random, 30)} <b>bold</b> <a href='#'>link</a>.</p>");
            text.Append($"<ul><li>{Sentence(random, 8)}</li><li>{Sentence(random, 8)}</li></ul>");
            text.Append("<table><tr><th>key</th><th>value</th></tr><tr><td>a</td><td>1</td></tr></table>");
        }
        return text.Append("</main><footer>Footer</footer></body></html>").ToString();
    }

    private static byte[] Docx(Random random)
    {
        using var stream = new MemoryStream();
        using (var package = WordprocessingDocument.Create(stream, DocumentFormat.OpenXml.WordprocessingDocumentType.Document))
        {
            var body = new Body();
            for (int section = 0; section < 8; section++)
            {
                body.Append(Paragraph($"Section {section}", "Heading1"));
                body.Append(Paragraph(Sentence(random, 30)));
                body.Append(Paragraph(Sentence(random, 30)));
                body.Append(new Table(new TableRow(new TableCell(Paragraph("key")), new TableCell(Paragraph("value")))));
            }
            package.AddMainDocumentPart().Document = new DocumentFormat.OpenXml.Wordprocessing.Document(body);
        }
        return stream.ToArray();
    }

    private static Paragraph Paragraph(string text, string? style = null) =>
        new(new ParagraphProperties(style is null ? [] : [new ParagraphStyleId { Val = style }]), new Run(new Text(text)));

    internal static byte[] Pdf(Random random, int pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (int number = 1; number <= pages; number++)
        {
            var page = builder.AddPage(595, 842);
            page.AddText("Generated Handbook", 9, new PdfPoint(60, 810), font);
            page.AddText($"Chapter {number}", 16, new PdfPoint(60, 770), font);
            for (int line = 0; line < 45; line++)
                page.AddText(Sentence(random, 12), 10, new PdfPoint(60, 740 - line * 14), font);
            page.AddText($"Page {number} of {pages}", 9, new PdfPoint(270, 30), font);
        }
        return builder.Build();
    }
}

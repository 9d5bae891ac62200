using System.Text;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Exceptions;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// PDF via PdfPig: text in reading order, one or more blocks per page with the page number,
/// running headers and footers dropped, words hyphenated across line ends joined, and blocks set
/// in clearly larger type marked as headings. Encrypted, damaged and image-only PDFs are refused
/// with a reason.
/// </summary>
public sealed class PdfReader(ReaderOptions options) : IDocumentReader
{
    public PdfReader() : this(new ReaderOptions())
    {
    }

    public const string MediaType = "application/pdf";

    private const string EncryptedReason = "encrypted; decrypt it first (it needs a password to open)";

    public bool CanRead(string fileName, ReadOnlySpan<byte> head)
    {
        var format = ContentSniffer.Sniff(head);
        return format == SniffedFormat.Pdf
            || (ContentSniffer.HasExtension(fileName, ".pdf") && format is not (SniffedFormat.Docx or SniffedFormat.OtherZip));
    }

    public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
    {
        var bytes = await ReaderSupport.ReadAllBytesAsync(content, cancellationToken).ConfigureAwait(false);
        if (ContentSniffer.Sniff(bytes.AsSpan(0, Math.Min(bytes.Length, ContentSniffer.HeadLength))) != SniffedFormat.Pdf)
            throw new DocumentReadException(context.Source, "not a PDF (no %PDF- header): the file is damaged or misnamed");

        PdfDocument pdf;
        try
        {
            pdf = PdfDocument.Open(bytes, new ParsingOptions { UseLenientParsing = true, SkipMissingFonts = true });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Failure(context, bytes, e, "cannot be opened");
        }

        using (pdf)
        {
            int pageCount;
            string? infoTitle;
            try
            {
                pageCount = pdf.NumberOfPages;
                infoTitle = pdf.Information.Title;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Failure(context, bytes, e, "cannot be opened");
            }
            if (pageCount == 0)
                throw new DocumentReadException(context.Source, "no pages: the PDF is empty or its page tree is damaged");

            var pages = new List<List<PdfTextBlock>>(pageCount);
            long characters = 0;
            int pagesWithImages = 0;
            for (int number = 1; number <= pageCount; number++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    var page = pdf.GetPage(number);
                    var blocks = PdfPageLayout.Read(page);
                    pages.Add(blocks);
                    characters += blocks.Sum(block => block.Lines.Sum(line => (long)line.Length));
                    if (characters > options.MaxTextCharacters)
                        throw new TextLimitExceededException(options.MaxTextCharacters);
                    if (blocks.Count == 0 && page.GetImages().Any())
                        pagesWithImages++;
                }
                catch (Exception e) when (e is not (OperationCanceledException or KnowledgeQaException))
                {
                    throw Failure(context, bytes, e, $"page {number} cannot be read");
                }
            }

            if (pages.All(page => page.Count == 0))
                throw new DocumentReadException(context.Source, NoTextReason(pageCount, pagesWithImages));

            PdfRunningLines.Remove(pages);
            var allBlocks = pages.SelectMany(page => page).ToList();
            var headingLevels = HeadingLevels(allBlocks);
            var builder = new DocumentTextBuilder(options.MaxTextCharacters);
            string? firstHeading = null;
            foreach (var block in allBlocks)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var text = JoinLines(block.Lines);
                if (headingLevels.TryGetValue(block, out var level))
                {
                    firstHeading ??= text;
                    builder.Add(BlockKind.Heading, text, level, block.Page);
                }
                else
                {
                    builder.Add(BlockKind.Paragraph, text, page: block.Page);
                }
            }
            if (builder.BlockCount == 0)
                throw new DocumentReadException(context.Source, NoTextReason(pageCount, pagesWithImages));
            return builder.Build(context, MediaType, string.IsNullOrWhiteSpace(infoTitle) ? firstHeading : infoTitle);
        }
    }

    /// <summary>
    /// Why a PDF gave no text: only a PDF whose pages hold images and no text at all is called scanned.
    /// </summary>
    internal static string NoTextReason(int pages, int pagesWithImages) => pagesWithImages switch
    {
        0 => $"no text: {(pages == 1 ? "its page holds" : $"its {pages} pages hold")} neither text nor images (at most drawings); " +
             "if a viewer shows text there, the file's structure is damaged: save it again as PDF",
        _ when pagesWithImages == pages => $"no text layer: {(pages == 1 ? "its page holds" : $"its {pages} pages hold")} only images (scanned?): OCR it first",
        _ => $"no text layer: {pagesWithImages} of its {pages} pages hold only images, the others are blank (scanned?): OCR it first",
    };

    private static DocumentReadException Failure(DocumentReadContext context, byte[] bytes, Exception e, string what)
    {
        if (e is PdfDocumentEncryptedException || HasEncryptDictionary(bytes))
            return new DocumentReadException(context.Source, EncryptedReason, e);
        return new DocumentReadException(context.Source, $"damaged or truncated PDF: {what} ({e.Message})", e);
    }

    // PdfPig reports some encrypted files (unknown security handlers) as other failures; the
    // trailer's /Encrypt entry is what makes a PDF encrypted.
    private static bool HasEncryptDictionary(byte[] bytes) =>
        bytes.AsSpan().IndexOf("/Encrypt"u8) >= 0;

    /// <summary>
    /// Blocks in type clearly larger than the body text, short enough to be titles, become
    /// headings; the largest size is level 1.
    /// </summary>
    private static Dictionary<PdfTextBlock, int> HeadingLevels(List<PdfTextBlock> blocks)
    {
        var bodySize = blocks
            .GroupBy(block => Math.Round(block.FontSize, 1))
            .OrderByDescending(group => group.Sum(block => block.Lines.Sum(line => line.Length)))
            .Select(group => group.Key)
            .FirstOrDefault();
        if (bodySize <= 0)
            return [];
        var candidates = blocks
            .Where(block => block.FontSize >= bodySize * 1.15 && block.Lines.Count <= 3 && block.Lines.Sum(l => l.Length) <= 200)
            .ToList();
        var sizes = candidates.Select(block => Math.Round(block.FontSize, 1)).Distinct().OrderByDescending(size => size).ToList();
        return candidates.ToDictionary(block => block, block => Math.Min(6, sizes.IndexOf(Math.Round(block.FontSize, 1)) + 1));
    }

    /// <summary>
    /// Lines of a block become one paragraph: a word split by a hyphen at a line end is joined
    /// ("infor-" + "mation"), CJK lines join without a space, other lines with one.
    /// </summary>
    internal static string JoinLines(IReadOnlyList<string> lines)
    {
        var text = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0)
                continue;
            if (text.Length > 0)
            {
                char last = text[^1];
                if (last is '-' or '\u00AD' && text.Length >= 2 && char.IsLetter(text[^2]) && char.IsLower(line[0]))
                    text.Length--; // a hyphenated word broken across lines
                else if (!(IsCjk(last) && IsCjk(line[0])))
                    text.Append(' ');
            }
            text.Append(line);
        }
        return text.ToString();
    }

    private static bool IsCjk(char c) =>
        c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3400' and <= '\u4DBF') or (>= '\u3000' and <= '\u30FF') or (>= '\uFF00' and <= '\uFFEF');
}

using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public class PdfReaderTests
{
    private static Task<Document> Read(byte[] pdf, string name = "manual.pdf") =>
        DocumentReaderRegistry.CreateDefault().ReadAsync(new MemoryStream(pdf), name, name, name, TestContext.Current.CancellationToken);

    private static List<PdfLine> Page(int number, params string[] body) =>
    [
        new PdfLine("ACME Corp Employee Handbook", 60, 810, 9),
        .. TestFiles.Body(740, body),
        new PdfLine($"Page {number} of 3", 270, 30, 9),
    ];

    [Fact]
    public async Task Pages_are_kept_and_running_headers_and_footers_dropped()
    {
        var pdf = TestFiles.Pdf(
            Page(1, "Holidays are booked in the portal."),
            Page(2, "Expenses are paid monthly."),
            Page(3, "Laptops are returned on the last day."));

        var document = await Read(pdf);

        Assert.Equal(PdfReader.MediaType, document.MediaType);
        Assert.Equal(
            "Holidays are booked in the portal.\n\nExpenses are paid monthly.\n\nLaptops are returned on the last day.",
            document.Text);
        Assert.Equal([1, 2, 3], document.Blocks.Select(b => b.Page));
        Assert.DoesNotContain("Handbook", document.Text);
        Assert.DoesNotContain("of 3", document.Text);
    }

    [Fact]
    public async Task Words_hyphenated_across_line_ends_are_joined()
    {
        var pdf = TestFiles.Pdf(TestFiles.Body(780, "The retrieval of infor-", "mation is fast, and well-", "Known names keep hyphens."));

        var document = await Read(pdf);

        Assert.Equal("The retrieval of information is fast, and well- Known names keep hyphens.", document.Text);
    }

    [Fact]
    public async Task Larger_type_becomes_headings_and_the_title()
    {
        List<PdfLine> page =
        [
            new PdfLine("Travel Policy", 60, 790, 22),
            new PdfLine("Booking", 60, 740, 16),
            .. TestFiles.Body(715, "Book flights through the travel desk at least", "two weeks ahead of the trip."),
        ];

        var document = await Read(TestFiles.Pdf(page));

        Assert.Equal("Travel Policy", document.Title);
        Assert.Equal(
        [
            (BlockKind.Heading, 1, "Travel Policy"),
            (BlockKind.Heading, 2, "Booking"),
            (BlockKind.Paragraph, 0, "Book flights through the travel desk at least two weeks ahead of the trip."),
        ], DocumentAssert.Blocks(document));
    }

    [Fact]
    public async Task Two_columns_read_column_by_column()
    {
        List<PdfLine> page =
        [
            .. TestFiles.Body(780, "Left column starts here", "and continues on the left."),
            .. TestFiles.Body(780, "Right column comes after", "and ends on the right.").Select(l => l with { X = 330 }),
        ];

        var document = await Read(TestFiles.Pdf(page));

        Assert.Equal("Left column starts here and continues on the left.\n\nRight column comes after and ends on the right.", document.Text);
    }

    [Fact]
    public async Task A_pdf_of_images_only_is_refused_as_scanned_with_ocr_advice()
    {
        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(TestFiles.PdfWithOnlyAnImage(), "scan.pdf"));

        Assert.Equal("scan.pdf", error.Path);
        Assert.Equal("no text layer: its page holds only images (scanned?): OCR it first", error.Reason);
    }

    [Fact]
    public async Task A_pdf_with_neither_text_nor_images_is_not_called_scanned()
    {
        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(TestFiles.PdfWithOnlyARectangle(), "drawing.pdf"));

        Assert.StartsWith("no text: its page holds neither text nor images", error.Reason);
        Assert.DoesNotContain("scanned", error.Reason);
    }

    [Fact]
    public async Task An_encrypted_pdf_is_refused_with_decrypt_advice()
    {
        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(TestFiles.EncryptedPdf(), "secret.pdf"));

        Assert.StartsWith("encrypted; decrypt it first", error.Reason);
    }

    [Fact]
    public async Task Truncated_and_corrupt_pdfs_are_refused_as_damaged()
    {
        var pdf = TestFiles.Pdf(TestFiles.Body(780, "Some text that will be cut."));

        var truncated = await Assert.ThrowsAsync<DocumentReadException>(() => Read(pdf[..(pdf.Length / 2)], "cut.pdf"));
        var corrupt = await Assert.ThrowsAsync<DocumentReadException>(() => Read("%PDF-1.7\n1 0 obj << /Type /Catalog"u8.ToArray(), "bad.pdf"));
        var misnamed = await Assert.ThrowsAsync<DocumentReadException>(() => Read("just some text"u8.ToArray(), "text.pdf"));

        Assert.Contains("damaged or truncated PDF", truncated.Reason);
        Assert.Contains("damaged or truncated PDF", corrupt.Reason);
        Assert.Contains("not a PDF", misnamed.Reason);
    }
}

using KnowledgeQa.Retrieval.Documents;
using static KnowledgeQa.Retrieval.Tests.Documents.TestFiles;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public class DocxReaderTests
{
    private static Task<Document> Read(byte[] docx, string name = "report.docx", ReaderOptions? options = null) =>
        DocumentReaderRegistry.CreateDefault(options).ReadAsync(new MemoryStream(docx), name, name, name, TestContext.Current.CancellationToken);

    private static byte[] Report(string? title = "Quarterly report") => Docx(title,
    [
        Para("Q3 Report", "Title"),
        Para("Summary", "Heading1"),
        Para("Revenue grew in every region."),
        Para("Regions", "Heading2"),
        Para("North", numbered: true),
        Para("South", numbered: true),
        Para("Details by month", "ChapterSub"),
        Table(["Month", "Revenue"], ["July", "10"], ["August", "12"]),
        Para("Appendix", outlineLevel: 0),
        Para("   "),
        Para("Last words."),
    ]);

    [Fact]
    public async Task Headings_lists_and_tables_become_blocks()
    {
        var document = await Read(Report());

        Assert.Equal(DocxReader.MediaType, document.MediaType);
        Assert.Equal("Quarterly report", document.Title);
        Assert.Equal(
        [
            (BlockKind.Heading, 1, "Q3 Report"),
            (BlockKind.Heading, 1, "Summary"),
            (BlockKind.Paragraph, 0, "Revenue grew in every region."),
            (BlockKind.Heading, 2, "Regions"),
            (BlockKind.ListItem, 0, "North"),
            (BlockKind.ListItem, 0, "South"),
            (BlockKind.Heading, 2, "Details by month"),
            (BlockKind.Table, 0, "Month | Revenue\nJuly | 10\nAugust | 12"),
            (BlockKind.Heading, 1, "Appendix"),
            (BlockKind.Paragraph, 0, "Last words."),
        ], DocumentAssert.Blocks(document));
    }

    [Fact]
    public async Task Without_a_title_property_the_title_paragraph_is_the_title()
    {
        var document = await Read(Report(title: null));

        Assert.Equal("Q3 Report", document.Title);
    }

    [Fact]
    public async Task A_truncated_docx_is_refused()
    {
        var docx = Report();

        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(docx[..(docx.Length * 2 / 3)], "cut.docx"));

        Assert.Equal("cut.docx", error.Path);
        Assert.Contains("truncated or corrupt .docx", error.Reason);
    }

    [Fact]
    public async Task A_zip_bomb_is_refused_before_it_is_unpacked()
    {
        var bomb = DocxZipBomb(zeroMegabytes: 8);
        Assert.True(bomb.Length < 64 * 1024, $"the test bomb should stay small, was {bomb.Length} bytes");

        var error = await Assert.ThrowsAsync<DocumentReadException>(
            () => Read(bomb, "bomb.docx", new ReaderOptions { MaxDecompressedBytes = 2 * 1024 * 1024 }));

        Assert.Contains("zip bomb", error.Reason);
        Assert.Contains("MaxDecompressedBytes", error.Reason);
    }

    [Fact]
    public async Task A_zip_that_is_not_a_word_document_is_refused()
    {
        var bomb = DocxZipBomb(zeroMegabytes: 1);

        // Within the limit, the same archive is read, but it has no package relationships that
        // lead to a Word body.
        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(bomb, "parts.docx"));

        Assert.Contains("not a Word document", error.Reason);
    }
}

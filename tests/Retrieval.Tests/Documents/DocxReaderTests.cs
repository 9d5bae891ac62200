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

/// <summary>What the streaming reader reads beyond the body's paragraphs, and the hostile files it refuses fast.</summary>
public class DocxReaderStoryTests
{
    private static Task<Document> Read(byte[] docx, string name = "notes.docx", ReaderOptions? options = null, CancellationToken? cancellation = null) =>
        DocumentReaderRegistry.CreateDefault(options).ReadAsync(new MemoryStream(docx), name, name, name, cancellation ?? TestContext.Current.CancellationToken);

    [Fact]
    public async Task Footnotes_endnotes_and_comments_follow_the_body_marked_as_such()
    {
        var body = "<w:p><w:commentRangeStart w:id=\"7\"/><w:r><w:t>Charge the battery</w:t></w:r><w:commentRangeEnd w:id=\"7\"/>" +
                   "<w:r><w:commentReference w:id=\"7\"/></w:r><w:r><w:footnoteReference w:id=\"5\"/></w:r>" +
                   "<w:r><w:t xml:space=\"preserve\"> overnight</w:t></w:r><w:r><w:endnoteReference w:id=\"9\"/></w:r><w:r><w:t>.</w:t></w:r></w:p>";
        var docx = TestFiles.DocxXml(body, new Dictionary<string, string>
        {
            ["footnotes"] = "<w:footnote w:type=\"separator\" w:id=\"-1\"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>" +
                            "<w:footnote w:id=\"4\">" + TestFiles.P("Never referenced, never shown.") + "</w:footnote>" +
                            "<w:footnote w:id=\"5\"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space=\"preserve\"> About 4.5 hours.</w:t></w:r></w:p></w:footnote>",
            ["endnotes"] = "<w:endnote w:id=\"9\">" + TestFiles.P("See the charger manual.") + "</w:endnote>",
            ["comments"] = "<w:comment w:id=\"7\" w:author=\"Ana\">" + TestFiles.P("Which battery?") + "</w:comment>",
        });

        var document = await Read(docx);

        Assert.Equal(
        [
            (BlockKind.Paragraph, 0, "Charge the battery[1] overnight[i]."),
            (BlockKind.Heading, 1, "Footnotes"),
            (BlockKind.Paragraph, 0, "[1] About 4.5 hours."),
            (BlockKind.Heading, 1, "Endnotes"),
            (BlockKind.Paragraph, 0, "[i] See the charger manual."),
            (BlockKind.Heading, 1, "Comments"),
            (BlockKind.Paragraph, 0, "Ana on “Charge the battery”: Which battery?"),
        ], DocumentAssert.Blocks(document));
    }

    [Fact]
    public async Task A_text_box_is_read_once_after_its_paragraph_and_hidden_deleted_and_field_code_text_is_not()
    {
        var box = "<w:txbxContent>" + TestFiles.P("Datum plane") + "</w:txbxContent>";
        var body = "<w:p><w:r><w:t>Figure 1</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing>" + box +
                   "</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>" + box + "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>" +
                   "<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>hidden</w:t></w:r><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del>" +
                   "<w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:t>Visible</w:t></w:r><w:r><w:tab/><w:t>text</w:t></w:r></w:p>";

        var document = await Read(TestFiles.DocxXml(body));

        Assert.Equal(["Figure 1", "Datum plane", "Visible\ttext"], DocumentAssert.Blocks(document).Select(b => b.Text));
    }

    [Fact]
    public async Task A_table_inside_a_table_joins_its_cell()
    {
        var inner = "<w:tbl><w:tr><w:tc>" + TestFiles.P("inner a") + "</w:tc><w:tc>" + TestFiles.P("inner b") + "</w:tc></w:tr></w:tbl>";
        var body = "<w:tbl><w:tr><w:tc>" + TestFiles.P("outer") + "</w:tc><w:tc>" + inner + "</w:tc></w:tr>" +
                   "<w:sdt><w:sdtContent><w:tr><w:tc>" + TestFiles.P("wrapped row") + "</w:tc></w:tr></w:sdtContent></w:sdt></w:tbl>";

        var document = await Read(TestFiles.DocxXml(body));

        Assert.Equal("outer | inner a inner b\nwrapped row", document.Text);
        Assert.Equal(BlockKind.Table, document.Blocks.Single().Kind);
    }

    [Theory]
    [InlineData("tables")]
    [InlineData("content controls")]
    public async Task Twenty_thousand_nested_levels_in_a_tiny_file_are_refused_naming_the_limit(string kind)
    {
        var docx = kind == "tables"
            ? TestFiles.DocxXml(TestFiles.Nested("<w:tbl><w:tr><w:tc>", TestFiles.P("deep") + "</w:tc></w:tr></w:tbl>", 20_000, TestFiles.P("x")))
            : TestFiles.DocxXml(TestFiles.Nested("<w:sdt><w:sdtContent>", "</w:sdtContent></w:sdt>", 20_000, TestFiles.P("deep")));
        Assert.True(docx.Length < 8 * 1024, $"the hostile file should stay tiny, was {docx.Length} bytes");

        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(docx, "deep.docx"));

        Assert.Equal("deep.docx", error.Path);
        Assert.Contains("nested deeper than 256 levels (ReaderOptions.MaxDocxDepth)", error.Reason);
    }

    [Fact]
    public async Task Text_past_the_limit_is_refused_naming_the_file_and_the_option()
    {
        // 40 MB of text in a few hundred KB (the attack file held 180 MB); a 1 MB limit keeps the test quick.
        var paragraph = TestFiles.P(string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 37)));
        var docx = TestFiles.DocxXml(paragraph, repeatBody: 40_000);

        var error = await Assert.ThrowsAsync<DocumentReadException>(
            () => Read(docx, "huge.docx", new ReaderOptions { MaxTextCharacters = 1_000_000 }));

        Assert.Equal("huge.docx", error.Path);
        Assert.Contains("passes 1,000,000 characters (ReaderOptions.MaxTextCharacters)", error.Reason);
    }

    [Fact]
    public async Task Cancelling_stops_a_long_read()
    {
        var paragraph = TestFiles.P(string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 37)));
        var docx = TestFiles.DocxXml(paragraph, repeatBody: 40_000);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Read(docx, "huge.docx", new ReaderOptions { MaxTextCharacters = int.MaxValue }, cancelled.Token));
    }

    [Fact]
    public async Task A_document_of_pictures_only_says_so()
    {
        var error = await Assert.ThrowsAsync<DocumentReadException>(
            () => Read(TestFiles.DocxXml("<w:p><w:r><w:drawing/></w:r></w:p><w:p><w:r><w:pict/></w:r></w:p>"), "photos.docx"));
        var empty = await Assert.ThrowsAsync<DocumentReadException>(() => Read(TestFiles.DocxXml("<w:p/>"), "blank.docx"));

        Assert.Equal("no text: the document holds only 2 pictures; add captions or OCR them to index them", error.Reason);
        Assert.Equal("no text: the document is empty", empty.Reason);
    }
}

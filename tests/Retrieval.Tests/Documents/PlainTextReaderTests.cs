using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public class PlainTextReaderTests
{
    static PlainTextReaderTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private const string Traditional = "知識庫問答系統會讀取文件，並根據內容回答使用者的問題。這些文件包括說明書、報告與網頁。";
    private const string Simplified = "知识库问答系统会读取文件，并根据内容回答用户的问题。这些文件包括说明书、报告与网页。";

    private static Task<Document> Read(byte[] bytes, string name = "doc.txt", ReaderOptions? options = null) =>
        DocumentReaderRegistry.CreateDefault(options).ReadAsync(new MemoryStream(bytes), name, name, "upload/" + name, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Paragraphs_are_split_at_blank_lines_with_offsets_into_the_text()
    {
        var document = await Read(Encoding.UTF8.GetBytes("First line\r\nstill first.\r\n\r\n  \r\n  Second paragraph.  \n\n\nThird."));

        Assert.Equal(PlainTextReader.MediaType, document.MediaType);
        var paragraphs = document.Blocks.Select(b => document.Text.Substring(b.Start, b.Length)).ToArray();
        Assert.Equal(["First line\nstill first.", "Second paragraph.", "Third."], paragraphs);
        Assert.All(document.Blocks, b => Assert.Equal(BlockKind.Paragraph, b.Kind));
    }

    [Theory]
    [InlineData("utf-8-bom")]
    [InlineData("utf-16le")]
    [InlineData("utf-16be")]
    [InlineData("utf-16le-no-bom")]
    public async Task Unicode_with_a_byte_order_mark_is_decoded(string kind)
    {
        var text = "Mixed 中文 and English — ok";
        Encoding encoding = kind switch
        {
            "utf-8-bom" => new UTF8Encoding(true),
            "utf-16le" => new UnicodeEncoding(false, true),
            "utf-16le-no-bom" => new UnicodeEncoding(false, false), // mostly ASCII: every other byte is NUL
            _ => new UnicodeEncoding(true, true),
        };
        var bytes = encoding.GetPreamble().Concat(encoding.GetBytes(text)).ToArray();

        var document = await Read(bytes);

        Assert.Equal(text, document.Text);
    }

    [Theory]
    [InlineData("big5", Traditional)]
    [InlineData("gb18030", Simplified)]
    public async Task Legacy_Chinese_encodings_are_detected(string encodingName, string text)
    {
        var bytes = Encoding.GetEncoding(encodingName).GetBytes(text + "\n\n" + text);

        var document = await Read(bytes);

        Assert.Equal(text + "\n\n" + text, document.Text);
        Assert.Equal(2, document.Blocks.Count);
    }

    [Fact]
    public async Task A_forced_encoding_overrides_detection()
    {
        // Four hanzi are too few to be sure of, but an explicit encoding needs no guessing.
        var bytes = Encoding.GetEncoding("big5").GetBytes("測試");

        var document = await Read(bytes, options: new ReaderOptions { EncodingName = "big5" });

        Assert.Equal("測試", document.Text);
    }

    [Fact]
    public async Task Invalid_utf8_that_is_no_legacy_encoding_is_refused_not_garbled()
    {
        var bytes = Encoding.Latin1.GetBytes("Caf\u00e9 au lait, cr\u00e8me br\u00fbl\u00e9e and na\u00efve fa\u00e7ades.");

        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(bytes, "menu.txt"));

        Assert.Equal("upload/menu.txt", error.Path);
        Assert.Contains("not valid UTF-8", error.Reason);
        Assert.Contains("EncodingName", error.Reason);
    }

    [Fact]
    public async Task A_wrong_forced_encoding_is_reported()
    {
        var bytes = Encoding.UTF8.GetBytes("plain ascii \u00ff");

        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read([.. bytes, 0x81], options: new ReaderOptions { EncodingName = "utf-8" }));

        Assert.Contains("not valid utf-8", error.Reason);
    }

    [Fact]
    public void An_unknown_encoding_name_is_an_option_error()
    {
        var error = Assert.Throws<InvalidOptionException>(() => DocumentReaderRegistry.CreateDefault(new ReaderOptions { EncodingName = "klingon-8" }));
        Assert.Contains("klingon-8", error.Message);
    }
}

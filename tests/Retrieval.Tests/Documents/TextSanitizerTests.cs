using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public class TextSanitizerTests
{
    [Theory]
    [InlineData("a\u0000b", "ab")]
    [InlineData("T \u0012 P(X)", "T P(X)")]                 // a math symbol a PDF font gave as its raw code
    [InlineData("line\r\nnext\rlast", "line\nnext\nlast")]
    [InlineData("page\fbreak\u2028sep\u0085nel", "page\nbreak\nsep\nnel")]
    [InlineData("in\u00ADfor\u00ADma\u00ADtion", "information")]  // soft hyphens
    [InlineData("\u202Eevil\u202C \uFEFFtext\u007F\u0090", "evil text")]
    [InlineData("keep\ttabs\nand lines", "keep\ttabs\nand lines")]
    [InlineData("中文 😀 ok", "中文 😀 ok")]
    public void Clean_leaves_only_text(string input, string expected)
    {
        Assert.Equal(expected, TextSanitizer.Clean(input));
        Assert.True(TextSanitizer.IsClean(TextSanitizer.Clean(input)));
    }

    [Theory]
    [InlineData("line\r\nnext\rlast")]
    [InlineData("a \u0012 \u0013 b\u00AD \tc")]
    [InlineData("pair 😀 lone \uD800 low \uDC00 end\uD83D")]
    [InlineData("\uFEFF \u202E text\u2028 \r\n\r")]
    public void Text_cleaned_in_pieces_is_the_text_cleaned_whole_wherever_it_is_split(string text)
    {
        var whole = TextSanitizer.Clean(text);
        for (var split = 0; split <= text.Length; split++)
        {
            for (var second = split; second <= text.Length; second++)
            {
                var output = new StringBuilder();
                var cleaner = new TextSanitizer.Cleaner(output);
                cleaner.Append(text.AsSpan(0, split));
                cleaner.Append(text.AsSpan(split, second - split));
                cleaner.Append(text.AsSpan(second));
                cleaner.Complete();
                Assert.Equal(whole, output.ToString());
            }
        }
    }

    [Fact]
    public void A_lone_surrogate_becomes_the_replacement_character()
    {
        Assert.Equal("a\uFFFDb\uFFFD", TextSanitizer.Clean("a\uD800b\uDC00"));
        Assert.Equal("a\uFFFDb\uFFFD", TextSanitizer.CleanInPlace("a\uD800b\uDC00"));
    }

    [Fact]
    public void Clean_in_place_keeps_every_offset()
    {
        var text = "one\u0000two\r\nthree\u202E";

        var cleaned = TextSanitizer.CleanInPlace(text);

        Assert.Equal(text.Length, cleaned.Length);
        Assert.Equal("one two \nthree ", cleaned);
        Assert.True(TextSanitizer.IsClean(cleaned));
    }

    [Fact]
    public void A_document_from_any_reader_holds_no_control_characters()
    {
        // A host's own reader (or an in-memory document) that forgot to clean its text.
        var document = new Document("d", "d", "bad\u0000text\u0007", [new DocumentBlock(BlockKind.Paragraph, 0, 9)])
        {
            Title = "ti\u0000tle",
            Tags = ["t\u001Bag"],
        };

        Assert.True(TextSanitizer.IsClean(document.Text));
        Assert.Equal("bad text ", document.Text);
        Assert.Equal("title", document.Title);
        Assert.Equal(["tag"], document.Tags);
    }

    [Fact]
    public async Task Plain_text_with_terminal_escapes_reads_clean()
    {
        // A NUL byte would make the file binary; escapes and backspaces pass the sniffer.
        var bytes = Encoding.UTF8.GetBytes("Report\u001B[31m red \u0008text.\n\nNext\u0007 paragraph.");

        var document = await DocumentReaderRegistry.CreateDefault().ReadAsync(new MemoryStream(bytes), "log.txt", "log.txt", "log.txt", TestContext.Current.CancellationToken);

        Assert.Equal("Report[31m red text.\n\nNext paragraph.", document.Text);
    }
}

using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public class MarkdownReaderTests
{
    private static Task<Document> Read(string markdown) =>
        DocumentReaderRegistry.CreateDefault().ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(markdown)), "guide.md", "guide.md", "guide.md", TestContext.Current.CancellationToken);

    [Fact]
    public async Task Headings_paragraphs_lists_code_and_tables_become_blocks()
    {
        var markdown = """
            # Install *the* tool

            Run the **installer** and read [the guide](https://example.com/guide) or <https://example.com>.
            Keep `snake_case_names` as they are.

            ## Options

            - first option
            - second with `code`
              - nested item

            ```bash
            kqa ingest docs/   # indentation and *stars* stay
              --tag manual
            ```

            | Name | Value |
            |------|------:|
            | size | **10** |
            | mode | fast |

            > Quoted advice.

            Setext heading
            --------------
            """;

        var document = await Read(markdown);

        Assert.Equal(MarkdownReader.MediaType, document.MediaType);
        Assert.Equal("Install the tool", document.Title);
        Assert.Equal(
        [
            (BlockKind.Heading, 1, "Install the tool"),
            (BlockKind.Paragraph, 0, "Run the installer and read the guide or https://example.com.\nKeep snake_case_names as they are."),
            (BlockKind.Heading, 2, "Options"),
            (BlockKind.ListItem, 0, "first option"),
            (BlockKind.ListItem, 0, "second with code"),
            (BlockKind.ListItem, 0, "nested item"),
            (BlockKind.Code, 0, "kqa ingest docs/   # indentation and *stars* stay\n  --tag manual"),
            (BlockKind.Table, 0, "Name | Value\nsize | 10\nmode | fast"),
            (BlockKind.Paragraph, 0, "Quoted advice."),
            (BlockKind.Heading, 2, "Setext heading"),
        ], DocumentAssert.Blocks(document));
    }

    [Fact]
    public async Task Front_matter_title_wins_over_the_first_heading()
    {
        var document = await Read("---\ntitle: \"Release notes\"\ntags: [a]\n---\n\n# Version 2\n\nText.\n");

        Assert.Equal("Release notes", document.Title);
        Assert.DoesNotContain("tags", document.Text);
        Assert.StartsWith("Version 2", document.Text);
    }

    [Fact]
    public async Task Pathological_inline_markup_reads_in_linear_time_without_error()
    {
        // Markdig's inline parser needs seconds for this; the reader strips markup itself.
        var markdown = string.Concat(Enumerable.Repeat("[a](b", 200_000));

        var document = await Read(markdown);

        Assert.StartsWith("[a](b[a](b", document.Text);
    }

    [Fact]
    public async Task Block_quotes_nested_past_the_parser_limit_are_refused_with_a_reason()
    {
        var markdown = string.Concat(Enumerable.Repeat("> ", 5_000)) + "deep";

        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(markdown));

        Assert.Equal("guide.md", error.Path);
        Assert.Contains("nested too deeply", error.Reason);
    }
}

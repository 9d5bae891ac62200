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

    [Fact]
    public async Task Vitepress_markup_becomes_the_text_a_reader_of_the_page_sees()
    {
        var markdown = """
            ---
            title: "计算属性"
            tags: [vue, 'reactivity']
            outline: deep
            ---

            <script setup>
            import Demo from './Demo.vue'
            </script>

            # Computed Properties {#computed-properties}

            ## Basic Example {#basic-example .lead data-x="1"}

            <div class="composition-api">

            Text inside a *raw* HTML block.

            </div>

            <p class="note">An inline <span>HTML</span> paragraph &amp; entities.</p>

            <!-- a comment that is not text -->

            ::: tip
            A tip without a title.
            :::

            ::: details Click to expand {#details-id}
            Hidden until clicked.
            :::

            ::: code-group

            ```js [main.js]
            const a = { b: 1 } // {#not-an-attribute-in-code}
            ```

            :::

            Uses {{ mustache }} and a { plain: object }.{.trailing}

            <Demo />
            """;

        var document = await Read(markdown);

        Assert.Equal("计算属性", document.Title);
        Assert.Equal(["vue", "reactivity"], document.Tags);
        Assert.Equal(
        [
            (BlockKind.Heading, 1, "Computed Properties"),
            (BlockKind.Heading, 2, "Basic Example"),
            (BlockKind.Paragraph, 0, "Text inside a raw HTML block."),
            (BlockKind.Paragraph, 0, "An inline HTML paragraph & entities."),
            (BlockKind.Paragraph, 0, "A tip without a title."),
            (BlockKind.Paragraph, 0, "Click to expand"),
            (BlockKind.Paragraph, 0, "Hidden until clicked."),
            (BlockKind.Paragraph, 0, "main.js"),
            (BlockKind.Code, 0, "const a = { b: 1 } // {#not-an-attribute-in-code}"),
            (BlockKind.Paragraph, 0, "Uses {{ mustache }} and a { plain: object }."),
        ], DocumentAssert.Blocks(document));
    }

    [Theory]
    [InlineData("tags:\n  - alpha\n  - \"beta gamma\"\n", new[] { "alpha", "beta gamma" })]
    [InlineData("tags: alpha, beta # a comment\n", new[] { "alpha", "beta" })]
    [InlineData("tag: solo\n", new[] { "solo" })]
    [InlineData("keywords: [one, two, one]\n", new[] { "one", "two" })]
    [InlineData("title: x\n", new string[0])]
    public async Task Front_matter_tags_become_document_tags(string yaml, string[] tags)
    {
        var document = await Read($"---\n{yaml}---\n\nBody.\n");

        Assert.Equal(tags, document.Tags);
        Assert.Equal("Body.", document.Text);
    }

    [Theory]
    [InlineData("line")]
    [InlineData("indented")]
    [InlineData("quotes")]
    public async Task A_list_nested_past_the_limit_is_refused_by_the_guard_naming_the_option(string shape)
    {
        // 4 MB each: Markdig itself took over 100 s to refuse these.
        var markdown = shape switch
        {
            "line" => string.Concat(Enumerable.Repeat("- ", 2_000_000)) + "x\n",
            "quotes" => string.Concat(Enumerable.Repeat("> ", 2_000_000)) + "x\n",
            _ => string.Concat(Enumerable.Range(0, 2_000).Select(i => new string(' ', 2 * i) + "- item\n")),
        };

        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(markdown));

        Assert.Contains("more than 64 levels deep (ReaderOptions.MaxMarkdownDepth)", error.Reason);
    }

    [Fact]
    public async Task Lists_nested_within_the_limit_are_read()
    {
        var markdown = string.Concat(Enumerable.Range(0, 20).Select(i => new string(' ', 2 * i) + $"- level {i}\n"));

        var document = await Read(markdown);

        Assert.Equal(20, document.Blocks.Count(b => b.Kind == BlockKind.ListItem));
        Assert.Contains("level 19", document.Text);
    }
}

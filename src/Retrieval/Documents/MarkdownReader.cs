using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Markdown via Markdig's block parser: headings as structure, paragraphs, list items, code
/// blocks and pipe tables kept whole. The text is readable text: markup removed, code verbatim.
/// Title from the front matter's title, else the first level-1 heading.
/// </summary>
public sealed partial class MarkdownReader : IDocumentReader
{
    public const string MediaType = "text/markdown";

    // Inline parsers are switched off: Markdig then leaves each block's raw text in one literal,
    // which MarkdownInlineText strips in linear time (see there for why).
    private static readonly MarkdownPipeline Pipeline = BuildPipeline();

    private static MarkdownPipeline BuildPipeline()
    {
        var builder = new MarkdownPipelineBuilder().UseYamlFrontMatter();
        builder.InlineParsers.Clear();
        return builder.Build();
    }

    public bool CanRead(string fileName, ReadOnlySpan<byte> head) =>
        ContentSniffer.HasExtension(fileName, ".md", ".markdown")
        && ContentSniffer.Sniff(head) is SniffedFormat.Text or SniffedFormat.Html or SniffedFormat.Empty;

    public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
    {
        var bytes = await ReaderSupport.ReadAllBytesAsync(content, cancellationToken).ConfigureAwait(false);
        var markdown = ReaderSupport.NormalizeNewlines(ReaderSupport.DecodeText(bytes, context).Text);

        MarkdownDocument parsed;
        try
        {
            parsed = Markdown.Parse(markdown, Pipeline);
        }
        catch (ArgumentException e)
        {
            // Markdig refuses block quotes or lists nested past its depth limit.
            throw new DocumentReadException(context.Source, $"Markdown nested too deeply to read ({e.Message})", e);
        }

        var builder = new DocumentTextBuilder();
        string? frontMatterTitle = null, firstH1 = null;
        // Iterative walk: nesting is bounded by Markdig, but a stack costs nothing and cannot overflow.
        var pending = new Stack<Block>();
        for (int i = parsed.Count - 1; i >= 0; i--)
            pending.Push(parsed[i]);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var block = pending.Pop();
            switch (block)
            {
                case YamlFrontMatterBlock yaml:
                    frontMatterTitle = FrontMatterTitle(yaml.Lines.ToString());
                    break;
                case HeadingBlock heading:
                    var headingText = MarkdownInlineText.ToPlainText(InlineText(heading)).Trim();
                    if (heading.Level == 1)
                        firstH1 ??= headingText;
                    builder.Add(BlockKind.Heading, headingText, heading.Level);
                    break;
                case CodeBlock code: // fenced and indented
                    builder.Add(BlockKind.Code, code.Lines.ToString());
                    break;
                case HtmlBlock html:
                    builder.Add(BlockKind.Paragraph, MarkdownInlineText.ToPlainText(html.Lines.ToString()));
                    break;
                case ParagraphBlock paragraph:
                    AddParagraph(builder, InlineText(paragraph), paragraph.Parent is ListItemBlock);
                    break;
                case ContainerBlock container: // lists, list items, quotes
                    for (int i = container.Count - 1; i >= 0; i--)
                        pending.Push(container[i]);
                    break;
            }
        }
        return builder.Build(context, MediaType, frontMatterTitle ?? firstH1);
    }

    private static void AddParagraph(DocumentTextBuilder builder, string raw, bool inListItem)
    {
        if (PipeTable.TryFormat(raw) is { } table)
        {
            builder.Add(BlockKind.Table, table);
            return;
        }
        builder.Add(inListItem ? BlockKind.ListItem : BlockKind.Paragraph, MarkdownInlineText.ToPlainText(raw));
    }

    /// <summary>The raw text of a leaf block: with no inline parsers it is all in literal inlines.</summary>
    private static string InlineText(LeafBlock block)
    {
        if (block.Inline is null)
            return block.Lines.ToString();
        var text = new System.Text.StringBuilder();
        foreach (var inline in block.Inline)
        {
            if (inline is LiteralInline literal)
                text.Append(literal.Content.AsSpan());
            else
                text.Append(inline.ToString());
        }
        return text.ToString();
    }

    [GeneratedRegex(@"^title\s*:\s*(.+?)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TitleLine();

    private static string? FrontMatterTitle(string yaml)
    {
        var match = TitleLine().Match(yaml);
        if (!match.Success)
            return null;
        var title = match.Groups[1].Value;
        if (title.Length >= 2 && (title[0] is '"' or '\'') && title[^1] == title[0])
            title = title[1..^1];
        return title.Length == 0 ? null : title;
    }

    /// <summary>GitHub-style pipe tables, rendered as one row per line with cells joined by " | ".</summary>
    private static partial class PipeTable
    {
        [GeneratedRegex(@"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$", RegexOptions.CultureInvariant)]
        private static partial Regex DelimiterRow();

        public static string? TryFormat(string raw)
        {
            var lines = raw.Split('\n');
            if (lines.Length < 2 || !lines[0].Contains('|') || !DelimiterRow().IsMatch(lines[1]) || !lines[1].Contains('-'))
                return null;
            var rows = new List<string>();
            foreach (var line in lines.Where((_, index) => index != 1))
            {
                var cells = SplitCells(line).Select(cell => MarkdownInlineText.ToPlainText(cell).Trim());
                rows.Add(string.Join(" | ", cells));
            }
            return string.Join('\n', rows);
        }

        private static List<string> SplitCells(string line)
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith('|')) trimmed = trimmed[1..];
            if (trimmed.EndsWith('|') && !trimmed.EndsWith("\\|", StringComparison.Ordinal)) trimmed = trimmed[..^1];
            var cells = new List<string>();
            var cell = new System.Text.StringBuilder();
            for (int i = 0; i < trimmed.Length; i++)
            {
                if (trimmed[i] == '\\' && i + 1 < trimmed.Length && trimmed[i + 1] == '|')
                {
                    cell.Append('|');
                    i++;
                }
                else if (trimmed[i] == '|')
                {
                    cells.Add(cell.ToString());
                    cell.Clear();
                }
                else
                {
                    cell.Append(trimmed[i]);
                }
            }
            cells.Add(cell.ToString());
            return cells;
        }
    }
}

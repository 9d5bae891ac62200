using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.CustomContainers;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Markdown via Markdig's block parser: headings as structure, paragraphs, list items, code
/// blocks and pipe tables kept whole. The text is readable text: markup removed, code verbatim.
/// What static-site generators add is read as a reader of the rendered page would: attribute lists
/// (<c>## Title {#id .class}</c>) go; VitePress / markdown-it containers (<c>::: tip Title</c> ...
/// <c>:::</c>) become their title and content; raw HTML becomes its text (scripts, styles and
/// comments dropped); code-group tabs keep their labels. YAML front matter gives the title and the
/// tags (<see cref="Document.Tags"/>) and is not body text; else the title is the first level-1 heading.
/// </summary>
public sealed partial class MarkdownReader(ReaderOptions options) : IDocumentReader
{
    public const string MediaType = "text/markdown";

    // Inline parsers are switched off: Markdig then leaves each block's raw text in one literal,
    // which MarkdownInlineText strips in linear time (see there for why).
    private static readonly MarkdownPipeline Pipeline = BuildPipeline();

    public MarkdownReader() : this(new ReaderOptions())
    {
    }

    private static MarkdownPipeline BuildPipeline()
    {
        var builder = new MarkdownPipelineBuilder().UseYamlFrontMatter().UseCustomContainers();
        builder.InlineParsers.Clear();
        return builder.Build();
    }

    public bool CanRead(string fileName, ReadOnlySpan<byte> head) =>
        ContentSniffer.HasExtension(fileName, ".md", ".markdown")
        && ContentSniffer.Sniff(head) is SniffedFormat.Text or SniffedFormat.Html or SniffedFormat.Empty;

    public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
    {
        var markdown = (await ReaderSupport.ReadTextAsync(content, context, new DecodedTextSink(clean: false), cancellationToken).ConfigureAwait(false)).Text;

        var depth = MarkdownDepthGuard.MeasureDepth(markdown, options.MaxMarkdownDepth, cancellationToken);
        if (depth > options.MaxMarkdownDepth)
        {
            throw new DocumentReadException(context.Source,
                $"Markdown nested too deeply: lists or block quotes more than {options.MaxMarkdownDepth} levels deep " +
                "(ReaderOptions.MaxMarkdownDepth): flatten it or raise the limit");
        }

        MarkdownDocument parsed;
        try
        {
            parsed = Markdown.Parse(markdown, Pipeline);
        }
        catch (ArgumentException e)
        {
            // Markdig refuses block quotes or lists nested past its own depth limit.
            throw new DocumentReadException(context.Source, $"Markdown nested too deeply to read ({e.Message})", e);
        }

        var builder = new DocumentTextBuilder(options.MaxTextCharacters);
        MarkdownFrontMatter? frontMatter = null;
        string? firstH1 = null;
        // Iterative walk: nesting is bounded by the guard above, but a stack cannot overflow anyway.
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
                    frontMatter ??= MarkdownFrontMatter.Parse(yaml.Lines.ToString());
                    break;
                case HeadingBlock heading:
                    var headingText = MarkdownInlineText.ToPlainText(MarkdownInlineText.StripAttributeLists(InlineText(heading))).Trim();
                    if (heading.Level == 1)
                        firstH1 ??= headingText;
                    builder.Add(BlockKind.Heading, headingText, heading.Level);
                    break;
                case FencedCodeBlock fenced:
                    if (CodeLabel(fenced) is { } label)
                        builder.Add(BlockKind.Paragraph, label);
                    builder.Add(BlockKind.Code, fenced.Lines.ToString());
                    break;
                case CodeBlock code: // indented
                    builder.Add(BlockKind.Code, code.Lines.ToString());
                    break;
                case HtmlBlock html:
                    builder.Add(BlockKind.Paragraph, MarkdownInlineText.StripAttributeLists(MarkdownInlineText.HtmlToPlainText(html.Lines.ToString())));
                    break;
                case ParagraphBlock paragraph:
                    AddParagraph(builder, InlineText(paragraph), paragraph.Parent is ListItemBlock);
                    break;
                case CustomContainer container:
                    // "::: warning Title": the title reads as the first line of the box; the fence and
                    // its kind ("tip", "details", "code-group") are presentation.
                    if (ContainerTitle(container) is { } title)
                        builder.Add(BlockKind.Paragraph, title);
                    PushChildren(pending, container);
                    break;
                case ContainerBlock other: // lists, list items, quotes
                    PushChildren(pending, other);
                    break;
            }
        }
        return builder.Build(context, MediaType, frontMatter?.Title ?? firstH1, frontMatter?.Tags);
    }

    private static void PushChildren(Stack<Block> pending, ContainerBlock container)
    {
        for (int i = container.Count - 1; i >= 0; i--)
            pending.Push(container[i]);
    }

    private static void AddParagraph(DocumentTextBuilder builder, string raw, bool inListItem)
    {
        raw = MarkdownInlineText.StripAttributeLists(raw);
        if (PipeTable.TryFormat(raw) is { } table)
        {
            builder.Add(BlockKind.Table, table);
            return;
        }
        builder.Add(inListItem ? BlockKind.ListItem : BlockKind.Paragraph, MarkdownInlineText.ToPlainText(raw));
    }

    private static string? ContainerTitle(CustomContainer container)
    {
        var title = container.Arguments?.Trim();
        return string.IsNullOrEmpty(title) ? null : MarkdownInlineText.ToPlainText(MarkdownInlineText.StripAttributeLists(title)).Trim();
    }

    /// <summary>The tab or file label of a fenced block (<c>```js [main.js]</c>, as in VitePress code groups).</summary>
    private static string? CodeLabel(FencedCodeBlock fenced)
    {
        var arguments = fenced.Arguments?.Trim();
        if (string.IsNullOrEmpty(arguments))
            return null;
        var open = arguments.IndexOf('[');
        var close = open < 0 ? -1 : arguments.IndexOf(']', open + 1);
        return close > open + 1 ? arguments[(open + 1)..close].Trim() : null;
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

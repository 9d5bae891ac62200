using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// HTML via AngleSharp, main content only: scripts, styles, navigation, page headers and footers,
/// asides, forms and hidden elements are dropped, and &lt;main&gt; (or a lone &lt;article&gt;)
/// is preferred to the whole body. Headings h1-h6 become structure, list items and tables
/// ("a | b | c" rows) are kept; the title comes from &lt;title&gt;, else the first h1.
/// A fragment (no &lt;html&gt;, &lt;head&gt; or &lt;body&gt; tag: a template, a snippet, a page
/// body saved on its own) is all content: its forms, buttons and boxes are read too, an input by
/// its placeholder or label.
/// </summary>
public sealed partial class HtmlReader(ReaderOptions options) : IDocumentReader
{
    public const string MediaType = "text/html";

    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "nav", "aside", "form", "button", "select", "input", "textarea",
        "iframe", "svg", "math", "canvas", "object", "embed", "audio", "video", "dialog", "head", "menu",
    };

    // In a whole page, forms are site chrome (search boxes, log-ins); in a fragment they are the content.
    private static readonly HashSet<string> FormControls = new(StringComparer.OrdinalIgnoreCase)
    {
        "form", "button", "select", "input", "textarea",
    };

    // Site chrome roles; banner and contentinfo are the roles of page headers and footers.
    private static readonly HashSet<string> DroppedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        "navigation", "complementary", "search", "menu", "menubar", "toolbar", "dialog", "alertdialog",
    };

    private static readonly HashSet<string> BlockElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "blockquote", "center", "details", "dd", "div", "dl", "dt", "fieldset", "figcaption",
        "figure", "footer", "header", "hgroup", "hr", "li", "main", "ol", "p", "section", "summary", "ul", "body",
        "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "caption",
    };

    public bool CanRead(string fileName, ReadOnlySpan<byte> head)
    {
        var format = ContentSniffer.Sniff(head);
        if (ContentSniffer.HasExtension(fileName, ".html", ".htm", ".xhtml"))
            return format is SniffedFormat.Html or SniffedFormat.Text or SniffedFormat.Empty;
        // Content that announces itself as HTML, unless its name says it is text or Markdown.
        return format == SniffedFormat.Html && !ContentSniffer.HasExtension(fileName, ".txt", ".text", ".md", ".markdown");
    }

    public async Task<Document> ReadAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken = default)
    {
        var html = await DecodeAsync(content, context, cancellationToken).ConfigureAwait(false);

        int depth = HtmlDepthGuard.MeasureDepth(html, options.MaxHtmlDepth, cancellationToken);
        if (depth > options.MaxHtmlDepth)
        {
            throw new DocumentReadException(context.Source,
                $"HTML nested deeper than {options.MaxHtmlDepth} levels (ReaderOptions.MaxHtmlDepth): not a page a person reads; " +
                "flatten it or raise the limit");
        }

        var document = new HtmlParser().ParseDocument(html);
        cancellationToken.ThrowIfCancellationRequested();
        var (root, semanticRoot) = ChooseRoot(document);
        var builder = new DocumentTextBuilder(options.MaxTextCharacters);
        string? firstH1 = null;
        if (root is not null)
            new BlockWalker(builder, semanticRoot, IsFragment(html), cancellationToken).Walk(root, ref firstH1);
        if (builder.BlockCount == 0)
            throw new DocumentReadException(context.Source, NoTextReason(document));

        var title = string.IsNullOrWhiteSpace(document.Title) ? firstH1 : CollapseWhitespace(document.Title);
        return builder.Build(context, MediaType, title);
    }

    /// <summary>A page without the tags of a whole document: its parser invents html, head and body.</summary>
    private static bool IsFragment(string html) =>
        !DocumentTag().IsMatch(html);

    [GeneratedRegex(@"<(?:html|head|body)[\s>/]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex DocumentTag();

    private static string NoTextReason(IHtmlDocument document)
    {
        var scripted = document.Scripts.Any(script => !string.IsNullOrWhiteSpace(script.Text));
        return scripted
            ? "no text: nothing on the page is visible without running its scripts; if a browser shows text, save the rendered page instead"
            : "no text: the page holds only markup, nothing visible";
    }

    private static (IElement? Root, bool Semantic) ChooseRoot(IHtmlDocument document)
    {
        if (document.QuerySelector("main, [role=main]") is { } main)
            return (main, true);
        var articles = document.QuerySelectorAll("article");
        if (articles.Length == 1)
            return (articles[0], true);
        return (document.Body ?? document.DocumentElement, false);
    }

    [GeneratedRegex(@"<meta[^>]{0,300}?charset\s*=\s*[""']?\s*([A-Za-z0-9_.:-]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MetaCharset();

    /// <summary>Forced encoding, else BOM, else a meta charset, else the plain-text detection.</summary>
    private static async Task<string> DecodeAsync(Stream content, DocumentReadContext context, CancellationToken cancellationToken)
    {
        var stream = await ReaderSupport.SeekableAsync(content, cancellationToken).ConfigureAwait(false);
        var start = stream.Position;
        if (context.EncodingName is null)
        {
            var head = new byte[2048];
            var read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            stream.Position = start;
            if (TextDecoder.DetectBom(head.AsSpan(0, read)) is null
                && MetaCharset().Match(Encoding.ASCII.GetString(head, 0, read)) is { Success: true } match)
            {
                var sink = new DecodedTextSink(clean: false);
                try
                {
                    await TextDecoder.DecodeAsync(stream, match.Groups[1].Value, sink, cancellationToken).ConfigureAwait(false);
                    return sink.ToString();
                }
                catch (Exception e) when (e is TextDecodingException or InvalidOptionException)
                {
                    // A wrong or unknown label is common: fall back to detection.
                    stream.Position = start;
                }
            }
        }
        return (await ReaderSupport.ReadTextAsync(stream, context, new DecodedTextSink(clean: false), cancellationToken).ConfigureAwait(false)).Text;
    }

    internal static string CollapseWhitespace(string text)
    {
        var result = new StringBuilder(text.Length);
        bool space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) && c != '\u00A0')
            {
                space = true;
                continue;
            }
            if (space && result.Length > 0)
                result.Append(' ');
            space = false;
            result.Append(c == '\u00A0' ? ' ' : c);
        }
        return result.ToString();
    }

    /// <summary>Walks the tree with an explicit stack, gathering inline text into blocks.</summary>
    private sealed class BlockWalker(DocumentTextBuilder builder, bool semanticRoot, bool fragment, CancellationToken cancellationToken)
    {
        private readonly StringBuilder _inline = new();
        private readonly Stack<(BlockKind Kind, int Level)> _context = new();

        public void Walk(IElement root, ref string? firstH1)
        {
            var pending = new Stack<(INode Node, bool Exit)>();
            pending.Push((root, false));
            int visited = 0;
            while (pending.Count > 0)
            {
                if (++visited % 4096 == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                var (node, exit) = pending.Pop();
                if (node is IText text)
                {
                    // Source line breaks are plain whitespace in HTML; only <br> breaks a line.
                    _inline.Append(text.Data.Replace('\n', ' ').Replace('\r', ' '));
                    continue;
                }
                if (node is not IElement element)
                    continue;
                var name = element.LocalName;
                if (exit)
                {
                    var (kind, level) = _context.Pop();
                    var flushed = Flush(kind, level);
                    if (kind == BlockKind.Heading && level == 1)
                        firstH1 ??= flushed;
                    continue;
                }
                if (IsDropped(element))
                    continue;
                if (name == "input")
                {
                    // A text box reads as what it shows: its placeholder, a button's label.
                    if (ControlText(element) is { } shown)
                        _inline.Append(' ').Append(shown).Append(' ');
                    continue;
                }
                if (name == "br")
                {
                    _inline.Append('\n');
                    continue;
                }
                if (!BlockElements.Contains(name))
                {
                    PushChildren(pending, element);
                    continue;
                }

                Flush(CurrentKind, CurrentLevel);
                if (name == "pre")
                {
                    builder.Add(BlockKind.Code, element.TextContent);
                    continue;
                }
                if (element is IHtmlTableElement table)
                {
                    AddTable(table);
                    continue;
                }
                _context.Push(name switch
                {
                    "h1" or "h2" or "h3" or "h4" or "h5" or "h6" => (BlockKind.Heading, name[1] - '0'),
                    "li" => (BlockKind.ListItem, 0),
                    _ => (CurrentKind == BlockKind.ListItem ? BlockKind.ListItem : BlockKind.Paragraph, 0),
                });
                pending.Push((element, true));
                PushChildren(pending, element);
            }
            Flush(CurrentKind, CurrentLevel);
        }

        private BlockKind CurrentKind => _context.Count > 0 ? _context.Peek().Kind : BlockKind.Paragraph;
        private int CurrentLevel => _context.Count > 0 ? _context.Peek().Level : 0;

        private static void PushChildren(Stack<(INode, bool)> pending, INode parent)
        {
            var children = parent.ChildNodes;
            for (int i = children.Length - 1; i >= 0; i--)
                pending.Push((children[i], false));
        }

        private static string? ControlText(IElement input)
        {
            var type = input.GetAttribute("type")?.Trim().ToLowerInvariant();
            if (type is "hidden" or "checkbox" or "radio" or "file" or "image" or "range" or "color")
                return null;
            var text = type is "submit" or "button" or "reset"
                ? input.GetAttribute("value")
                : input.GetAttribute("placeholder") ?? input.GetAttribute("aria-label");
            return string.IsNullOrWhiteSpace(text) ? null : CollapseWhitespace(text);
        }

        private bool IsDropped(IElement element)
        {
            var name = element.LocalName;
            if (Dropped.Contains(name) && !(fragment && FormControls.Contains(name)))
                return true;
            // Outside <main>/<article>, header and footer are the site's; inside, the article's own.
            if (!semanticRoot && name is "header" or "footer")
                return true;
            var role = element.GetAttribute("role");
            if (role is not null && (DroppedRoles.Contains(role) || (!semanticRoot && role is "banner" or "contentinfo")))
                return true;
            if (element.HasAttribute("hidden") || string.Equals(element.GetAttribute("aria-hidden"), "true", StringComparison.OrdinalIgnoreCase))
                return true;
            var style = element.GetAttribute("style");
            return style is not null && HiddenStyle().IsMatch(style);
        }

        private string Flush(BlockKind kind, int level)
        {
            if (_inline.Length == 0)
                return "";
            var lines = _inline.ToString().Split('\n')
                .Select(line => CollapseWhitespace(line))
                .Where(line => line.Length > 0);
            var text = string.Join('\n', lines);
            _inline.Clear();
            builder.Add(kind, text, level);
            return text;
        }

        private void AddTable(IHtmlTableElement table)
        {
            if (table.Caption is { } caption)
                builder.Add(BlockKind.Paragraph, CollapseWhitespace(caption.TextContent));
            var rows = new List<string>();
            foreach (var row in table.Rows)
            {
                var cells = row.Cells.Select(cell => CollapseWhitespace(cell.TextContent)).ToArray();
                if (cells.Any(cell => cell.Length > 0))
                    rows.Add(string.Join(" | ", cells));
            }
            builder.Add(BlockKind.Table, string.Join('\n', rows));
        }
    }

    [GeneratedRegex(@"display\s*:\s*none|visibility\s*:\s*hidden", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HiddenStyle();
}

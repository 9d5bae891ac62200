using System.Text;
using System.Xml;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>A paragraph or table of a Word story (the body, a footnote, a comment), finished.</summary>
internal readonly record struct DocxBlock(BlockKind Kind, int Level, string Text, bool IsTitle = false);

/// <summary>Where the finished blocks of one story go.</summary>
internal interface IDocxStory
{
    void Add(DocxBlock block);
}

/// <summary>
/// Reads the stories of a WordprocessingML part in one streaming pass, in linear time and with memory
/// bounded by the text kept and the nesting depth (<see cref="DocxLimits"/>): paragraphs with their
/// style, list items, tables as "a | b" rows (a table inside a cell joins the cell's text), text boxes
/// as paragraphs after the paragraph that anchors them, footnote and endnote references as [1] and
/// [i] markers, comment ranges remembered for the comments section. Only the first choice of
/// markup-compatibility alternatives is read (Word writes a text box twice: as a shape and as VML);
/// deleted text, field codes, hidden runs and property blocks are skipped.
/// </summary>
internal sealed class DocxStoryWalker(DocxStyles styles, DocxLimits limits)
{
    // Property and revision subtrees that hold no text of the document (or old text: pPrChange keeps
    // the paragraph's previous style, del and moveFrom the deleted runs).
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        "pPrChange", "rPrChange", "sectPr", "sectPrChange", "tblPr", "tblPrChange", "tblGrid", "trPr", "tcPr", "sdtPr",
        "sdtEndPr", "del", "moveFrom", "delText", "instrText", "delInstrText", "fldData", "footnotePr", "endnotePr",
        "numberingChange", "tblPrEx",
    };

    private const int MaxQuotedCharacters = 120;

    private readonly List<Frame> _frames = [];
    private readonly char[] _buffer = new char[4096];
    private readonly Dictionary<string, StringBuilder> _openRanges = new(StringComparer.Ordinal);
    private int _skipDepth = -1;
    private ParagraphFrame? _capturing;

    public int Pictures { get; private set; }

    /// <summary>Footnote ids in the order the body first refers to them (their numbers are the positions + 1).</summary>
    public OrderedIds Footnotes { get; } = new();

    public OrderedIds Endnotes { get; } = new();

    /// <summary>Comment ids in the order the body anchors or refers to them.</summary>
    public OrderedIds Comments { get; } = new();

    /// <summary>The text each comment is anchored to (cut short).</summary>
    public Dictionary<string, StringBuilder> CommentedText { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Walks a part. For each story element (body, footnote, endnote, comment) <paramref name="storyFor"/>
    /// gives the story its blocks go to, or null to skip it.
    /// </summary>
    public void Walk(XmlReader reader, Func<XmlReader, IDocxStory?> storyFor)
    {
        _frames.Clear();
        _skipDepth = -1;
        _capturing = null;
        while (reader.Read())
        {
            limits.Check(reader);
            if (_skipDepth >= 0)
            {
                if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == _skipDepth)
                    _skipDepth = -1;
                continue;
            }
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    var empty = reader.IsEmptyElement;
                    var depth = reader.Depth;
                    Start(reader, storyFor);
                    if (empty && _skipDepth < 0)
                        End(depth);
                    else if (empty)
                        _skipDepth = -1;
                    break;
                case XmlNodeType.EndElement:
                    End(reader.Depth);
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace or XmlNodeType.Whitespace:
                    if (_capturing is not null)
                        Capture(reader, _capturing);
                    break;
            }
        }
    }

    private void Start(XmlReader reader, Func<XmlReader, IDocxStory?> storyFor)
    {
        var depth = reader.Depth;
        if (reader.NamespaceURI == DocxXml.MarkupCompatibility)
        {
            switch (reader.LocalName)
            {
                case "AlternateContent":
                    _frames.Add(new AlternateFrame(depth));
                    break;
                case "Choice" or "Fallback" when Top is AlternateFrame alternate:
                    if (alternate.Taken)
                        _skipDepth = depth;
                    alternate.Taken = true;
                    break;
            }
            return;
        }
        var isWord = DocxXml.IsWord(reader);
        if (!isWord && !DocxXml.IsMath(reader))
            return;
        var name = reader.LocalName;
        if (name is "body" or "footnote" or "endnote" or "comment" && isWord)
        {
            if (storyFor(reader) is { } story)
                _frames.Add(new StoryFrame(depth, story));
            else
                _skipDepth = depth;
            return;
        }
        if (!_frames.Exists(f => f is StoryFrame))
            return;
        if (isWord && Skipped.Contains(name))
        {
            _skipDepth = depth;
            return;
        }
        var paragraph = InnermostParagraph();
        switch (name)
        {
            case "p" when isWord:
                _frames.Add(new ParagraphFrame(depth));
                break;
            case "r":
                if (paragraph is not null)
                    (paragraph.RunDepth, paragraph.RunHidden) = (depth, false);
                break;
            case "t" when paragraph is { RunDepth: >= 0, RunHidden: false }:
                _capturing = paragraph;
                break;
            case "pStyle" when paragraph is not null:
                paragraph.StyleId = DocxXml.Attribute(reader, "val");
                break;
            case "outlineLvl" when paragraph is not null:
                paragraph.OutlineLevel = DocxXml.IntAttribute(reader, "val");
                break;
            case "numPr" when paragraph is not null:
                paragraph.Numbered = true;
                break;
            case "vanish" or "specVanish" when paragraph is { RunDepth: >= 0 } && DocxXml.IsOn(reader):
                paragraph.RunHidden = true;
                break;
            case "tab" when paragraph is { RunDepth: >= 0, RunHidden: false }:
                Append(paragraph, "\t");
                break;
            case "br" or "cr" when paragraph is { RunDepth: >= 0, RunHidden: false }:
                Append(paragraph, "\n");
                break;
            case "noBreakHyphen" when paragraph is { RunDepth: >= 0, RunHidden: false }:
                Append(paragraph, "-");
                break;
            case "footnoteReference" when paragraph is { RunHidden: false }:
                Append(paragraph, $"[{Footnotes.Number(DocxXml.Attribute(reader, "id")) + 1}]");
                break;
            case "endnoteReference" when paragraph is { RunHidden: false }:
                Append(paragraph, $"[{Roman(Endnotes.Number(DocxXml.Attribute(reader, "id")) + 1)}]");
                break;
            case "commentRangeStart":
                if (DocxXml.Attribute(reader, "id") is { } opened)
                {
                    Comments.Number(opened);
                    _openRanges[opened] = CommentedText.TryGetValue(opened, out var quoted) ? quoted : CommentedText[opened] = new StringBuilder();
                }
                break;
            case "commentRangeEnd":
                if (DocxXml.Attribute(reader, "id") is { } closed)
                    _openRanges.Remove(closed);
                break;
            case "commentReference":
                Comments.Number(DocxXml.Attribute(reader, "id"));
                break;
            case "tbl" when isWord:
                _frames.Add(new TableFrame(depth));
                break;
            case "tr" when isWord && Top is TableFrame table:
                (table.Row, table.RowDepth) = ([], depth);
                break;
            case "tc" when isWord && Top is TableFrame { Row: not null } table:
                (table.Cell, table.CellDepth) = (new StringBuilder(), depth);
                break;
            case "txbxContent":
                _frames.Add(new TextBoxFrame(depth));
                break;
            case "drawing" or "pict" or "object":
                Pictures++;
                break;
        }
    }

    private void End(int depth)
    {
        if (_capturing is not null)
            _capturing = null; // a text element ends (its text nodes came in between)
        var top = Top;
        if (top is not null && top.Depth == depth)
        {
            _frames.RemoveAt(_frames.Count - 1);
            switch (top)
            {
                case ParagraphFrame paragraph:
                    Deliver(Finish(paragraph));
                    foreach (var after in paragraph.After)
                        Deliver(after);
                    break;
                case TableFrame table:
                    if (table.Rows.Count > 0)
                        Deliver(new DocxBlock(BlockKind.Table, 0, string.Join('\n', table.Rows)));
                    break;
                case TextBoxFrame box:
                    if (InnermostParagraph() is { } host)
                        host.After.AddRange(box.Blocks);
                    else
                        box.Blocks.ForEach(Deliver);
                    break;
            }
            return;
        }
        var paragraphFrame = InnermostParagraph();
        if (paragraphFrame is not null && paragraphFrame.RunDepth == depth)
            paragraphFrame.RunDepth = -1;
        if (top is TableFrame tableFrame)
        {
            if (tableFrame.Cell is not null && tableFrame.Row is not null && depth == tableFrame.CellDepth)
            {
                tableFrame.Row.Add(tableFrame.Cell.ToString().Trim());
                tableFrame.Cell = null;
            }
            else if (tableFrame.Row is not null && tableFrame.Cell is null && depth == tableFrame.RowDepth)
            {
                if (tableFrame.Row.Exists(cell => cell.Length > 0))
                    tableFrame.Rows.Add(string.Join(" | ", tableFrame.Row));
                tableFrame.Row = null;
            }
        }
    }

    private DocxBlock Finish(ParagraphFrame paragraph)
    {
        var (level, isTitle, isList) = styles.Classify(paragraph.StyleId, paragraph.OutlineLevel, paragraph.Numbered);
        var kind = level > 0 ? BlockKind.Heading : isList ? BlockKind.ListItem : BlockKind.Paragraph;
        return new DocxBlock(kind, level, paragraph.Text.ToString(), isTitle);
    }

    /// <summary>Hands a finished block to the innermost thing that holds blocks: a table cell, a text box or the story.</summary>
    private void Deliver(DocxBlock block)
    {
        for (var i = _frames.Count - 1; i >= 0; i--)
        {
            switch (_frames[i])
            {
                case TableFrame { Cell: { } cell }:
                    var text = block.Text.Replace('\n', ' ').Replace('\t', ' ').Trim();
                    if (text.Length > 0)
                    {
                        limits.Take(text.Length);
                        cell.Append(cell.Length > 0 ? " " : "").Append(block.Kind == BlockKind.Table ? text.Replace(" | ", " ", StringComparison.Ordinal) : text);
                    }
                    return;
                case TextBoxFrame box:
                    box.Blocks.Add(block);
                    return;
                case ParagraphFrame paragraph:
                    paragraph.After.Add(block);
                    return;
                case StoryFrame story:
                    story.Story.Add(block);
                    return;
            }
        }
    }

    private void Capture(XmlReader reader, ParagraphFrame paragraph)
    {
        if (!reader.CanReadValueChunk)
        {
            var value = reader.Value;
            limits.Take(value.Length);
            Append(paragraph, value);
            return;
        }
        int read;
        while ((read = reader.ReadValueChunk(_buffer, 0, _buffer.Length)) > 0)
        {
            limits.CancellationToken.ThrowIfCancellationRequested();
            limits.Take(read);
            paragraph.Text.Append(_buffer, 0, read);
            Quote(_buffer.AsSpan(0, read));
        }
    }

    private void Append(ParagraphFrame paragraph, string text)
    {
        paragraph.Text.Append(text);
        Quote(text);
    }

    /// <summary>
    /// Adds text to the open comment ranges; a range that has its fill leaves the open set, so that
    /// thousands of ranges never closed cost each piece of text nothing once they are full.
    /// </summary>
    private void Quote(ReadOnlySpan<char> text)
    {
        if (_openRanges.Count == 0)
            return;
        List<string>? full = null;
        foreach (var (id, range) in _openRanges)
        {
            range.Append(text[..Math.Min(text.Length, Math.Max(0, MaxQuotedCharacters - range.Length))]);
            if (range.Length >= MaxQuotedCharacters)
                (full ??= []).Add(id);
        }
        foreach (var id in full ?? [])
            _openRanges.Remove(id);
    }

    /// <summary>Word numbers endnotes i, ii, iii by default.</summary>
    internal static string Roman(int number)
    {
        ReadOnlySpan<(int Value, string Numeral)> numerals =
        [
            (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
            (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
        ];
        var result = new StringBuilder();
        foreach (var (value, numeral) in numerals)
        {
            while (number >= value)
            {
                result.Append(numeral);
                number -= value;
            }
        }
        return result.ToString();
    }

    private Frame? Top => _frames.Count > 0 ? _frames[^1] : null;

    private ParagraphFrame? InnermostParagraph()
    {
        for (var i = _frames.Count - 1; i >= 0; i--)
        {
            switch (_frames[i])
            {
                case ParagraphFrame paragraph:
                    return paragraph;
                case TextBoxFrame or TableFrame or StoryFrame:
                    return null; // a paragraph outside these is not the one being written
            }
        }
        return null;
    }

    /// <summary>Ids in first-seen order, each numbered by its position in constant time (a list's IndexOf made thousands of notes quadratic).</summary>
    internal sealed class OrderedIds : IReadOnlyList<string>
    {
        private readonly List<string> _ids = [];
        private readonly Dictionary<string, int> _positions = new(StringComparer.Ordinal);

        public int Count => _ids.Count;

        public string this[int index] => _ids[index];

        /// <summary>The 0-based position of <paramref name="id"/> (missing: ""), added if new.</summary>
        public int Number(string? id)
        {
            id ??= "";
            if (_positions.TryGetValue(id, out var position))
                return position;
            _ids.Add(id);
            _positions.Add(id, _ids.Count - 1);
            return _ids.Count - 1;
        }

        public IEnumerator<string> GetEnumerator() => _ids.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private abstract class Frame(int depth)
    {
        public int Depth { get; } = depth;
    }

    private sealed class StoryFrame(int depth, IDocxStory story) : Frame(depth)
    {
        public IDocxStory Story { get; } = story;
    }

    private sealed class ParagraphFrame(int depth) : Frame(depth)
    {
        public StringBuilder Text { get; } = new();
        public string? StyleId { get; set; }
        public int? OutlineLevel { get; set; }
        public bool Numbered { get; set; }
        public int RunDepth { get; set; } = -1;
        public bool RunHidden { get; set; }
        public List<DocxBlock> After { get; } = [];
    }

    private sealed class TableFrame(int depth) : Frame(depth)
    {
        public List<string> Rows { get; } = [];
        public List<string>? Row { get; set; }
        public int RowDepth { get; set; }
        public StringBuilder? Cell { get; set; }
        public int CellDepth { get; set; }
    }

    private sealed class TextBoxFrame(int depth) : Frame(depth)
    {
        public List<DocxBlock> Blocks { get; } = [];
    }

    private sealed class AlternateFrame(int depth) : Frame(depth)
    {
        public bool Taken { get; set; }
    }
}

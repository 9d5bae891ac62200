using System.Text;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Agents.Text;

/// <summary>What a piece of a passage is: prose that can answer, or structure that gives context.</summary>
public enum PassageUnitKind
{
    /// <summary>A sentence of running text (or a list item).</summary>
    Sentence,

    /// <summary>A heading or title line: says what the text below is about, answers nothing itself.</summary>
    Heading,

    /// <summary>The first row of a table: the column names.</summary>
    TableHeader,

    /// <summary>A table row; shown with its header attached.</summary>
    TableRow,

    /// <summary>A line of source code or a shell command.</summary>
    Code,
}

/// <summary>
/// A unit of a passage: a sentence, heading, table row or code line, with its character span in
/// the passage text (what a citation highlight points at) and the text shown in an answer
/// (whitespace collapsed; a table row with its column names).
/// </summary>
public sealed record PassageUnit(PassageUnitKind Kind, string Text, int Start, int Length, PassageUnit? Header = null)
{
    /// <summary>Whether the unit can be an answer on its own (headings and column names cannot).</summary>
    public bool CanAnswer => Kind is PassageUnitKind.Sentence or PassageUnitKind.TableRow or PassageUnitKind.Code;

    /// <summary>The unit as an answer shows it.</summary>
    public string Display => Kind == PassageUnitKind.TableRow ? TableRows.Render(Text, Header?.Text) : PassageSegmenter.Collapse(Text);

    /// <summary>The text the unit is matched by: a row counts its column names too.</summary>
    public string MatchText => Header is null ? Text : Header.Text + "\n" + Text;
}

/// <summary>
/// Splits a passage into <see cref="PassageUnit"/>s. Readers render tables as one row per line
/// with cells joined by " | ", headings as lines of their own, and code verbatim; the chunk keeps
/// no block kinds, so the structure is recognised again here: table lines, lines equal to a heading
/// of the chunk (or short title-like lines standing alone), and paragraphs that are mostly code.
/// Everything else is split into sentences with <see cref="SentenceSplitter"/>.
/// </summary>
public static partial class PassageSegmenter
{
    // A title-like line is short: under ten words, or about two dozen CJK characters.
    private const int MaxHeadingLength = 80;
    private const int MaxHeadingSpaces = 10;
    private const int MaxCjkHeadingLength = 24;

    public static IReadOnlyList<PassageUnit> Segment(string text, IEnumerable<string>? headings = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var headingSet = new HashSet<string>((headings ?? []).Select(Normalize).Where(h => h.Length > 0), StringComparer.OrdinalIgnoreCase);
        var units = new List<PassageUnit>();
        var lines = Lines(text);
        PassageUnit? tableHeader = null;
        var i = 0;
        while (i < lines.Count)
        {
            var line = lines[i];
            if (line.IsBlank)
            {
                i++;
                continue;
            }

            if (TableRows.IsRow(line.Text))
            {
                var previousIsRow = i > 0 && TableRows.IsRow(lines[i - 1].Text);
                var nextIsRow = i + 1 < lines.Count && TableRows.IsRow(lines[i + 1].Text);
                if (!previousIsRow && nextIsRow)
                {
                    tableHeader = new PassageUnit(PassageUnitKind.TableHeader, line.Trimmed, line.TrimmedStart, line.Trimmed.Length);
                    units.Add(tableHeader);
                }
                else
                {
                    units.Add(new PassageUnit(PassageUnitKind.TableRow, line.Trimmed, line.TrimmedStart, line.Trimmed.Length,
                        previousIsRow ? tableHeader : null));
                }

                i++;
                continue;
            }

            tableHeader = null;
            // A paragraph: the following lines up to a blank line or a table.
            var end = i;
            while (end < lines.Count && !lines[end].IsBlank && !TableRows.IsRow(lines[end].Text))
            {
                end++;
            }

            AddParagraph(text, lines, i, end, headingSet, units);
            i = end;
        }

        return units;
    }

    private static void AddParagraph(string text, List<Line> lines, int first, int end, HashSet<string> headings, List<PassageUnit> units)
    {
        var paragraph = lines.GetRange(first, end - first);
        if (paragraph.Count(l => CodeLines.Looks(l.Text)) * 2 >= paragraph.Count && paragraph.Any(l => CodeLines.Looks(l.Text)))
        {
            foreach (var line in paragraph)
            {
                units.Add(new PassageUnit(PassageUnitKind.Code, line.Trimmed, line.TrimmedStart, line.Trimmed.Length));
            }

            return;
        }

        var start = paragraph[0].Start;
        var paragraphEnd = paragraph[^1].Start + paragraph[^1].Text.Length;
        // A heading line at the top of a paragraph ("Charging the battery" above its text) is its own unit.
        while (paragraph.Count > 0 && IsHeading(paragraph[0], paragraph.Count == 1, headings))
        {
            units.Add(new PassageUnit(PassageUnitKind.Heading, paragraph[0].Trimmed, paragraph[0].TrimmedStart, paragraph[0].Trimmed.Length));
            paragraph.RemoveAt(0);
            if (paragraph.Count == 0)
            {
                return;
            }

            start = paragraph[0].Start;
        }

        foreach (var sentence in SentenceSplitter.Split(text[start..paragraphEnd]))
        {
            var kind = headings.Contains(Normalize(sentence.Text)) ? PassageUnitKind.Heading : PassageUnitKind.Sentence;
            units.Add(new PassageUnit(kind, sentence.Text, start + sentence.Start, sentence.Length));
        }
    }

    private static bool IsHeading(Line line, bool alone, HashSet<string> headings)
    {
        var trimmed = line.Trimmed;
        if (headings.Contains(Normalize(trimmed)) || trimmed.StartsWith('#'))
        {
            return true;
        }

        // A short line standing alone without a sentence end ("Aurora warranty policy") titles what follows.
        if (!alone || trimmed.Length > MaxHeadingLength || EndsLikeSentence(trimmed))
        {
            return false;
        }

        return ScriptDetector.IsMostlyCjk(trimmed) ? trimmed.Length <= MaxCjkHeadingLength : trimmed.Count(c => c == ' ') < MaxHeadingSpaces;
    }

    private static bool EndsLikeSentence(string text) => text[^1] is '.' or '!' or '?' or ':' or ';' or '。' or '！' or '？' or '：' or '；' or ',' or '，' or ')' or '）' or '"' or '”' or '」';

    /// <summary>Whitespace runs as one space; none between two CJK characters (a wrapped Chinese line).</summary>
    public static string Collapse(string text)
    {
        var result = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace && !(result.Length > 0 && ScriptDetector.IsCjk(result[^1]) && ScriptDetector.IsCjk(c)))
            {
                result.Append(' ');
            }

            pendingSpace = false;
            result.Append(c);
        }

        return result.ToString();
    }

    private static string Normalize(string text) => Collapse(text.TrimStart('#', ' ')).TrimEnd(':', '：');

    private readonly record struct Line(string Text, int Start)
    {
        public bool IsBlank => string.IsNullOrWhiteSpace(Text);
        public string Trimmed => Text.Trim();
        public int TrimmedStart => Start + (Text.Length - Text.TrimStart().Length);
    }

    private static List<Line> Lines(string text)
    {
        var lines = new List<Line>();
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '\n')
            {
                var end = i > start && text[i - 1] == '\r' ? i - 1 : i;
                lines.Add(new Line(text[start..end], start));
                start = i + 1;
            }
        }

        return lines;
    }
}

/// <summary>Table rows as readers render them: cells joined by " | ", one row per line.</summary>
internal static class TableRows
{
    public static bool IsRow(string line) => line.Contains(" | ", StringComparison.Ordinal) || (line.TrimStart().StartsWith('|') && line.TrimEnd().EndsWith('|') && line.Count(c => c == '|') >= 3);

    public static IReadOnlyList<string> Cells(string row) =>
        row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToList();

    /// <summary>
    /// "E07: Motor overheated; What to do: Stop for 15 minutes ..." — the first cell names the row,
    /// the second is its value, and later cells carry their column names so they read on their own.
    /// </summary>
    public static string Render(string row, string? header)
    {
        var cells = Cells(row);
        var names = header is null ? [] : Cells(header);
        var text = new StringBuilder(PassageSegmenter.Collapse(cells[0]));
        for (var c = 1; c < cells.Count; c++)
        {
            if (cells[c].Length == 0)
            {
                continue;
            }

            text.Append(c == 1 ? ": " : "; ");
            if (c > 1 && c < names.Count && names[c].Length > 0)
            {
                text.Append(PassageSegmenter.Collapse(names[c])).Append(": ");
            }

            text.Append(PassageSegmenter.Collapse(cells[c]).TrimEnd('.', '。'));
        }

        return text.Append(ScriptDetector.IsMostlyCjk(row) ? "。" : ".").ToString();
    }
}

/// <summary>Recognises lines of source code or shell commands by their symbols and keywords.</summary>
internal static partial class CodeLines
{
    [GeneratedRegex(@"^\s*(\$ |> |#include|import |from \S+ import|using [\w.]+;|def |class |public |private |static |var |let |const |function |fn |func |return |if \(|for \(|while \(|package |namespace |SELECT |INSERT |CREATE |<\w+[ >/]|//|/\*|\*/|npm |pip |dotnet |git |cd |sudo |curl |docker |kqa )")]
    private static partial Regex CodeStart();

    [GeneratedRegex(@"[;{}]\s*$|=>|::|\(\)|\w\(.*\)\s*;?\s*$|\b\w+\.\w+\(|[=!<>]=|&&|\|\||^\s{4,}\S|^\t")]
    private static partial Regex CodeToken();

    public static bool Looks(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.Length == 0)
        {
            return false;
        }

        if (CodeStart().IsMatch(line))
        {
            return true;
        }

        if (!CodeToken().IsMatch(line))
        {
            return false;
        }

        // Prose has few symbols; code has many brackets, operators and underscores per letter.
        int letters = 0, symbols = 0;
        foreach (var c in trimmed)
        {
            if (char.IsLetter(c))
            {
                letters++;
            }
            else if (c is '{' or '}' or '(' or ')' or '[' or ']' or ';' or '=' or '<' or '>' or '_' or '$' or '`' or '\\' or '/' or '*' or '&' or '|' or '"')
            {
                symbols++;
            }
        }

        return symbols >= 2 && symbols * 8 >= letters;
    }
}

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Estimates how deep a Markdown text nests lists and block quotes with one pass over its line starts,
/// before Markdig parses it: Markdig keeps every open container in a list it walks for each line, so a
/// hostile nesting costs time that grows far faster than the file (a 4 MB list nested line by line
/// took over 100 s just to be refused). The estimate errs high, never low: it counts every list
/// marker and '&gt;' a line starts with, plus the list items it is indented under; fenced code is
/// skipped.
/// </summary>
internal static class MarkdownDepthGuard
{
    /// <summary>The deepest nesting seen, stopping as soon as it passes <paramref name="limit"/>.</summary>
    public static int MeasureDepth(string markdown, int limit, CancellationToken cancellationToken)
    {
        // Content columns of the list items the current line may be nested in, innermost last.
        var open = new List<int>();
        var deepest = 0;
        var fence = '\0';
        var fenceLength = 0;
        var lines = 0;
        for (var lineStart = 0; lineStart < markdown.Length;)
        {
            if (++lines % 65536 == 0)
                cancellationToken.ThrowIfCancellationRequested();
            var lineEnd = markdown.IndexOf('\n', lineStart);
            if (lineEnd < 0)
                lineEnd = markdown.Length;
            var line = markdown.AsSpan(lineStart, lineEnd - lineStart);
            lineStart = lineEnd + 1;

            var (indent, position) = Indentation(line, 0, 0);
            if (position == line.Length)
                continue; // blank lines keep lists open
            if (fence != '\0')
            {
                if (IsFence(line[position..], fence, fenceLength))
                    fence = '\0';
                continue;
            }
            if (FenceStart(line[position..]) is { } opened)
            {
                (fence, fenceLength) = opened;
                continue;
            }

            // Markers at the start of the line: "> > - 1. * x" opens five containers at once.
            var quotes = 0;
            var column = indent;
            var isItem = false;
            while (position < line.Length)
            {
                if (line[position] == '>')
                {
                    quotes++;
                    (column, position) = Indentation(line, position + 1, column + 1);
                    continue;
                }
                var markerLength = ListMarkerLength(line[position..]);
                if (markerLength == 0)
                    break;
                if (!isItem)
                {
                    // An item closes the items whose content starts right of its marker.
                    while (open.Count > 0 && open[^1] > column)
                        open.RemoveAt(open.Count - 1);
                    isItem = true;
                }
                (column, position) = Indentation(line, position + markerLength, column + markerLength);
                open.Add(column);
            }
            if (!isItem)
            {
                // Text indented less than an item's content ends that item (lazy lines aside).
                while (open.Count > 0 && open[^1] > indent)
                    open.RemoveAt(open.Count - 1);
            }
            deepest = Math.Max(deepest, open.Count + quotes);
            if (deepest > limit)
                return deepest;
        }
        return deepest;
    }

    /// <summary>The column and index after the spaces and tabs from <paramref name="position"/> (tabs stop every 4 columns).</summary>
    private static (int Column, int Position) Indentation(ReadOnlySpan<char> line, int position, int column)
    {
        while (position < line.Length && line[position] is ' ' or '\t')
        {
            column = line[position] == '\t' ? (column / 4 + 1) * 4 : column + 1;
            position++;
        }
        return (column, position);
    }

    /// <summary>Length of a list marker ("-", "*", "+", "1." or "1)") followed by a space or the line end; 0 if none.</summary>
    private static int ListMarkerLength(ReadOnlySpan<char> rest)
    {
        int length;
        if (rest[0] is '-' or '*' or '+')
        {
            length = 1;
        }
        else
        {
            length = 0;
            while (length < rest.Length && length < 9 && char.IsAsciiDigit(rest[length]))
                length++;
            if (length == 0 || length >= rest.Length || rest[length] is not ('.' or ')'))
                return 0;
            length++;
        }
        return length == rest.Length || rest[length] is ' ' or '\t' ? length : 0;
    }

    private static (char Fence, int Length)? FenceStart(ReadOnlySpan<char> rest)
    {
        if (rest.Length < 3 || rest[0] is not ('`' or '~'))
            return null;
        var length = 0;
        while (length < rest.Length && rest[length] == rest[0])
            length++;
        return length >= 3 ? (rest[0], length) : null;
    }

    private static bool IsFence(ReadOnlySpan<char> rest, char fence, int length)
    {
        var run = 0;
        while (run < rest.Length && rest[run] == fence)
            run++;
        return run >= length && rest[run..].IsWhiteSpace();
    }
}

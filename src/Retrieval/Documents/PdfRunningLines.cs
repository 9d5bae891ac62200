using System.Text;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Finds running headers and footers: lines among the first or last few of a page that recur on
/// most pages once digits are ignored ("Page 3 of 10", "ACME Handbook — 2024"). They would
/// otherwise repeat in every chunk and pollute search.
/// </summary>
internal static class PdfRunningLines
{
    private const int EdgeLines = 3;
    private const double MinShareOfPages = 0.6;

    /// <summary>Removes the running lines in place (blocks left empty are removed too).</summary>
    public static void Remove(List<List<PdfTextBlock>> pages)
    {
        var pagesWithText = pages.Where(page => page.Count > 0).ToList();
        if (pagesWithText.Count < 2)
            return;

        var pagesPerLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var page in pagesWithText)
        {
            foreach (var key in EdgePositions(page).Select(p => Normalize(page[p.Block].Lines[p.Line])).Distinct())
                pagesPerLine[key] = pagesPerLine.GetValueOrDefault(key) + 1;
        }
        int needed = Math.Max(2, (int)Math.Ceiling(pagesWithText.Count * MinShareOfPages));
        var running = pagesPerLine.Where(pair => pair.Value >= needed && pair.Key.Length > 0).Select(pair => pair.Key).ToHashSet();
        if (running.Count == 0)
            return;

        foreach (var page in pagesWithText)
        {
            // A page made only of recurring lines is content that repeats (the same label on every
            // page, a document whose pages are copies of one another), not a header over content.
            if (page.All(block => block.Lines.All(line => running.Contains(Normalize(line)))))
                continue;
            foreach (var (block, line) in EdgePositions(page).OrderByDescending(p => p.Block).ThenByDescending(p => p.Line))
            {
                if (running.Contains(Normalize(page[block].Lines[line])))
                    page[block].Lines.RemoveAt(line);
            }
            page.RemoveAll(block => block.Lines.Count == 0);
        }
    }

    /// <summary>The first and last few lines of a page, as (block, line) positions, each once.</summary>
    private static List<(int Block, int Line)> EdgePositions(List<PdfTextBlock> page)
    {
        var all = new List<(int, int)>();
        for (int b = 0; b < page.Count; b++)
            for (int l = 0; l < page[b].Lines.Count; l++)
                all.Add((b, l));
        if (all.Count <= EdgeLines * 2)
            return all;
        return [.. all.Take(EdgeLines), .. all.Skip(all.Count - EdgeLines)];
    }

    private static string Normalize(string line)
    {
        var result = new StringBuilder(line.Length);
        bool space = false;
        foreach (var c in line.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }
            if (space) result.Append(' ');
            space = false;
            result.Append(char.IsDigit(c) ? '#' : char.ToLowerInvariant(c));
        }
        return result.ToString();
    }
}

using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.DocumentLayoutAnalysis;
using UglyToad.PdfPig.DocumentLayoutAnalysis.PageSegmenter;
using UglyToad.PdfPig.DocumentLayoutAnalysis.ReadingOrderDetector;
using UglyToad.PdfPig.DocumentLayoutAnalysis.WordExtractor;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>A text block of a PDF page: its lines in reading order and the size of its type.</summary>
internal sealed record PdfTextBlock(int Page, List<string> Lines, double FontSize);

/// <summary>
/// The text blocks of one page in reading order: PdfPig's nearest-neighbour words, grouped into
/// blocks by Docstrum, ordered by the unsupervised reading-order detector (columns read top to
/// bottom, then left to right).
/// </summary>
internal static class PdfPageLayout
{
    public static List<PdfTextBlock> Read(Page page)
    {
        var letters = page.Letters;
        if (letters.Count == 0)
            return [];
        var words = NearestNeighbourWordExtractor.Instance.GetWords(letters).ToList();
        if (words.Count == 0)
            return [];
        IReadOnlyList<TextBlock> blocks;
        try
        {
            blocks = UnsupervisedReadingOrderDetector.Instance.Get(DocstrumBoundingBoxes.Instance.GetBlocks(words)).ToList();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or ArithmeticException)
        {
            // Layout analysis can trip on degenerate geometry; the words in content order still read.
            return [new PdfTextBlock(page.Number, [string.Join(' ', words.Select(w => w.Text))], AverageSize(words))];
        }
        return blocks
            .OrderBy(block => block.ReadingOrder)
            .Select(block => new PdfTextBlock(
                page.Number,
                block.TextLines.Select(line => line.Text).Where(text => !string.IsNullOrWhiteSpace(text)).ToList(),
                AverageSize(block.TextLines.SelectMany(line => line.Words))))
            .Where(block => block.Lines.Count > 0)
            .ToList();
    }

    private static double AverageSize(IEnumerable<Word> words)
    {
        double total = 0;
        int count = 0;
        foreach (var letter in words.SelectMany(word => word.Letters))
        {
            total += letter.PointSize;
            count++;
        }
        return count == 0 ? 0 : total / count;
    }
}

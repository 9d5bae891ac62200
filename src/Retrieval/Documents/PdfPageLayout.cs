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
/// bottom, then left to right). Rotated pages and rotated text read like upright ones.
/// </summary>
/// <remarks>
/// Layout analysis runs on one thread. PdfPig parallelises it by default, and then its output depends
/// on thread timing: the word extractor returns the same words in a different order, and Docstrum
/// estimates line spacing by averaging distances gathered in a ConcurrentBag, whose order changes the
/// floating-point sum in its last bits. Either shifts the blocks the reading-order detector gets (or a
/// word right at the spacing threshold joins another block), so one file gave different text on
/// different runs: a block of figure labels in a 300-page book moved between chunks, and an
/// unchanged file was re-embedded whole.
/// </remarks>
internal static class PdfPageLayout
{
    private static readonly NearestNeighbourWordExtractor WordExtractor =
        new(new NearestNeighbourWordExtractor.NearestNeighbourWordExtractorOptions { MaxDegreeOfParallelism = 1 });

    private static readonly DocstrumBoundingBoxes Segmenter =
        new(new DocstrumBoundingBoxes.DocstrumBoundingBoxesOptions { MaxDegreeOfParallelism = 1 });

    // Glyphs this far outside the page's media box are not on the page (tools park labels there).
    private const double OffPageTolerance = 2;

    public static List<PdfTextBlock> Read(Page page)
    {
        var letters = OnPage(page);
        if (letters.Count == 0)
            return [];
        var words = WordExtractor.GetWords(letters).ToList();
        if (words.Count == 0)
            return [];
        IReadOnlyList<TextBlock> blocks;
        try
        {
            blocks = UnsupervisedReadingOrderDetector.Instance.Get(Segmenter.GetBlocks(words)).ToList();
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

    /// <summary>
    /// The page's letters that lie at least partly on the page. PdfPig gives a rotated page's letters
    /// in the rotated (displayed) space, so either the media box or the displayed box may hold them.
    /// </summary>
    private static IReadOnlyList<Letter> OnPage(Page page)
    {
        var letters = page.Letters;
        var media = page.MediaBox.Bounds;
        if (letters.Count == 0 || media.Width <= 0 || media.Height <= 0)
            return letters;
        var boxes = new[]
        {
            (Left: Math.Min(media.Left, media.Right), Bottom: Math.Min(media.Bottom, media.Top), Right: Math.Max(media.Left, media.Right), Top: Math.Max(media.Bottom, media.Top)),
            (Left: 0.0, Bottom: 0.0, Right: page.Width, Top: page.Height),
        };
        bool Inside(Letter letter)
        {
            // A rotated glyph's box has its corners in any order.
            var glyph = letter.BoundingBox;
            double left = Math.Min(glyph.Left, glyph.Right), right = Math.Max(glyph.Left, glyph.Right);
            double bottom = Math.Min(glyph.Bottom, glyph.Top), top = Math.Max(glyph.Bottom, glyph.Top);
            foreach (var box in boxes)
            {
                if (right >= box.Left - OffPageTolerance && left <= box.Right + OffPageTolerance
                    && top >= box.Bottom - OffPageTolerance && bottom <= box.Top + OffPageTolerance)
                    return true;
            }
            return false;
        }
        foreach (var letter in letters)
        {
            if (!Inside(letter))
                return letters.Where(Inside).ToList();
        }
        return letters;
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

using System.Globalization;

namespace KnowledgeQa.Retrieval.Chunking;

/// <summary>
/// A trimmed span of the document text that fits a chunk on its own, with its exact token count.
/// <see cref="StartsSentence"/> is false for pieces cut inside a sentence (at clauses, words or characters).
/// </summary>
internal readonly record struct TextPiece(int Start, int End, int Tokens, int Block, bool StartsSentence);

/// <summary>
/// Cuts a span of text into pieces of at most a given number of tokens and characters, at the coarsest
/// boundaries that suffice: paragraphs, then lines, sentence ends, clauses, words, and as a last resort
/// text elements (so a surrogate pair or a base character with its combining marks is never split; only
/// a single text element longer than the character limit, a letter under thousands of combining marks,
/// is cut between code points). The character limit matters where tokens say little: a run of letters
/// with no space is one [UNK] token however long it is. Spans over the character limit are never
/// tokenized whole, and the last resort works in windows of about the limit, so the cost is linear.
/// </summary>
internal sealed class PieceSplitter(ITokenCounter counter, int maxTokens, int maxCharacters)
{
    // How far a last-resort cut may move back to avoid splitting a Latin word in mixed-script text.
    private const int WordBackoffElements = 32;

    public int Count(string text, int start, int end) => counter.CountTokens(text.Substring(start, end - start));

    /// <param name="isCode">Code and tables are split at lines, never at sentence or clause marks.</param>
    public void Split(string text, int start, int end, int block, bool isCode, List<TextPiece> pieces) =>
        Split(text, start, end, block, isCode, BoundaryLevel.Paragraph, startsSentence: true, pieces);

    private void Split(string text, int start, int end, int block, bool isCode, BoundaryLevel level, bool startsSentence, List<TextPiece> pieces)
    {
        (start, end) = TextBoundaries.Trim(text, start, end);
        if (start == end)
        {
            return;
        }
        if (end - start <= maxCharacters)
        {
            var tokens = Count(text, start, end);
            if (tokens <= maxTokens)
            {
                pieces.Add(new TextPiece(start, end, tokens, block, startsSentence));
                return;
            }
        }

        for (var finer = level; finer < BoundaryLevel.Character; finer++)
        {
            if (isCode && finer is BoundaryLevel.Sentence or BoundaryLevel.Clause)
            {
                continue;
            }
            var cuts = TextBoundaries.FindCuts(text, start, end, finer);
            if (cuts.Count == 0)
            {
                continue;
            }
            var segmentStart = start;
            var segmentStartsSentence = startsSentence;
            foreach (var cut in cuts.Append(end))
            {
                Split(text, segmentStart, cut, block, isCode, finer + 1, segmentStartsSentence, pieces);
                segmentStart = cut;
                segmentStartsSentence = finer <= BoundaryLevel.Sentence;
            }
            return;
        }
        CutAtTextElements(text, start, end, block, startsSentence, pieces);
    }

    /// <summary>
    /// The end (in text elements) of the longest run from <paramref name="first"/> that fits, and its tokens.
    /// Token counts grow about linearly with length, so each probe extrapolates from the last measurement
    /// (CJK text, one token per character, settles in two probes); after a few probes it falls back to
    /// bisection, which needs no such assumption.
    /// </summary>
    private (int End, int Tokens) LongestFit(string text, int first, int count, Func<int, int> position)
    {
        const int ExtrapolatedProbes = 6;
        int good = first, goodTokens = 0, bad = count + 1;
        var guess = first + Math.Max(1, maxTokens);
        for (var probes = 0; bad - good > 1; probes++)
        {
            var probe = probes < ExtrapolatedProbes ? guess : good + (bad - good) / 2;
            probe = Math.Clamp(probe, good + 1, Math.Min(count, bad - 1));
            var tokens = Count(text, position(first), position(probe));
            if (tokens <= maxTokens)
            {
                (good, goodTokens) = (probe, tokens);
                if (good == count)
                {
                    break;
                }
            }
            else
            {
                bad = probe;
            }
            guess = first + (int)Math.Min(int.MaxValue - first, (long)(probe - first) * maxTokens / Math.Max(1, tokens));
            if (guess <= good)
            {
                guess = good + 1;
            }
        }
        if (good == first)
        {
            // A single text element over the limit cannot be split further: it becomes a piece of its own.
            good = first + 1;
            goodTokens = Count(text, position(first), position(good));
        }
        return (good, goodTokens);
    }

    /// <summary>
    /// For text with no usable boundary (long CJK runs without punctuation, long identifiers, a megabyte with
    /// no space): the longest runs of whole text elements that fit, found window by window.
    /// </summary>
    private void CutAtTextElements(string text, int start, int end, int block, bool startsSentence, List<TextPiece> pieces)
    {
        var position = start;
        while (position < end)
        {
            var bounds = ElementBounds(text, position, end);
            var count = bounds.Length - 1;
            int Position(int element) => position + bounds[element];

            var (good, goodTokens) = LongestFit(text, 0, count, Position);
            var cut = Position(good);
            if (cut < end && TextBoundaries.IsInsideWord(text[cut - 1], text[cut]))
            {
                for (var back = good - 1; back > 0 && back >= good - WordBackoffElements; back--)
                {
                    var at = Position(back);
                    if (!TextBoundaries.IsInsideWord(text[at - 1], text[at]))
                    {
                        var tokens = Count(text, position, at);
                        if (tokens <= maxTokens)
                        {
                            (good, goodTokens) = (back, tokens);
                        }
                        break;
                    }
                }
            }

            var (pieceStart, pieceEnd) = TextBoundaries.Trim(text, position, Position(good));
            if (pieceStart < pieceEnd)
            {
                var tokens = pieceStart == position && pieceEnd == Position(good) ? goodTokens : Count(text, pieceStart, pieceEnd);
                pieces.Add(new TextPiece(pieceStart, pieceEnd, tokens, block, startsSentence && position == start));
            }
            position = Position(good);
        }
    }

    /// <summary>
    /// Offsets from <paramref name="position"/> (0 first) of the text-element boundaries that lie within the
    /// character limit. The window is parsed a little past the limit so that the element straddling it is
    /// seen whole; an element longer than the limit on its own is cut at the last code point that fits.
    /// </summary>
    private int[] ElementBounds(string text, int position, int end)
    {
        var windowEnd = (int)Math.Min(end, (long)position + maxCharacters + 64);
        var starts = StringInfo.ParseCombiningCharacters(text.Substring(position, windowEnd - position));
        var bounds = new List<int>(starts.Length + 1) { 0 };
        for (var i = 1; i < starts.Length && starts[i] <= maxCharacters; i++)
        {
            bounds.Add(starts[i]);
        }
        if (windowEnd == end && end - position <= maxCharacters)
        {
            bounds.Add(end - position);
        }
        if (bounds.Count == 1)
        {
            var cut = Math.Min(maxCharacters, end - position);
            if (cut > 1 && position + cut < end && char.IsHighSurrogate(text[position + cut - 1]) && char.IsLowSurrogate(text[position + cut]))
            {
                cut--; // never between the halves of a surrogate pair
            }
            bounds.Add(cut);
        }
        return [.. bounds];
    }
}

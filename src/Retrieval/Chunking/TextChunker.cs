using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Chunking;

/// <summary>
/// Splits a document into chunks that fit the embedding model, counting tokens with the model's own
/// tokenizer. Headings start sections that chunks never cross; within a section, blocks (paragraphs,
/// list items, code, tables) are packed together, and a block too long for one chunk is split at the
/// coarsest boundary that suffices (paragraph, line, sentence end including CJK 。！？, clause, word,
/// and as a last resort between text elements). Consecutive chunks of a section overlap by whole
/// trailing sentences. Thread-safe if the counter is.
/// </summary>
public sealed class TextChunker
{
    private const int SpecialTokens = 2; // [CLS] and [SEP]

    private readonly ITokenCounter _counter;
    private readonly PieceSplitter _splitter;
    private readonly int _maxTokens;
    private readonly int _overlapTokens;

    public TextChunker(ITokenCounter counter, ChunkingOptions options)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxTokens < 0)
        {
            throw new InvalidOptionException($"Chunking MaxTokens is {options.MaxTokens}; use 0 (fit the embedding model) or a positive token count.");
        }
        if (options.OverlapTokens < 0)
        {
            throw new InvalidOptionException($"Chunking OverlapTokens is {options.OverlapTokens}; use 0 (no overlap) or a positive token count.");
        }
        var window = counter.MaxTokens - SpecialTokens;
        if (window < 1)
        {
            throw new ArgumentException($"The token counter's MaxTokens ({counter.MaxTokens}) leaves no room for text.", nameof(counter));
        }
        if (options.MaxTokens > 0 && options.OverlapTokens >= options.MaxTokens)
        {
            throw new InvalidOptionException(
                $"Chunking OverlapTokens ({options.OverlapTokens}) must be less than MaxTokens ({options.MaxTokens}); a quarter or less is typical.");
        }

        _counter = counter;
        // Longer chunks than the model's window would be cut silently when embedded.
        _maxTokens = options.MaxTokens == 0 ? window : Math.Min(options.MaxTokens, window);
        // Each chunk must bring new text: at most half of it repeats the previous one.
        _overlapTokens = Math.Min(options.OverlapTokens, _maxTokens / 2);
        _splitter = new PieceSplitter(counter, _maxTokens);
    }

    /// <summary>Tokens per chunk at most, after fitting the options to the model's window.</summary>
    public int MaxTokens => _maxTokens;

    public IReadOnlyList<Chunk> Split(Document document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var text = document.Text;
        var blocks = NormalizeBlocks(document.Blocks, text.Length);
        var chunks = new List<Chunk>();
        var headings = new List<(int Level, string Title)>();
        IReadOnlyList<string> path = [];
        var sectionStart = 0;

        for (var i = 0; i <= blocks.Count; i++)
        {
            if (i < blocks.Count && blocks[i].Kind != BlockKind.Heading)
            {
                continue;
            }
            // A section holding only its heading, followed by a subsection, is already in the subsection's path.
            var headingOnly = i - sectionStart == 1 && blocks[sectionStart].Kind == BlockKind.Heading;
            var subsectionFollows = i < blocks.Count && Level(blocks[i]) > Level(blocks[sectionStart]);
            if (i > sectionStart && !(headingOnly && subsectionFollows))
            {
                ChunkSection(document, blocks, sectionStart, i, path, chunks);
            }
            if (i == blocks.Count)
            {
                break;
            }

            var level = Level(blocks[i]);
            headings.RemoveAll(h => h.Level >= level);
            headings.Add((level, HeadingTitle(text, blocks[i])));
            path = [.. headings.Select(h => h.Title)];
            sectionStart = i;
        }
        return chunks;
    }

    private void ChunkSection(Document document, IReadOnlyList<DocumentBlock> blocks, int from, int to,
        IReadOnlyList<string> headings, List<Chunk> chunks)
    {
        var text = document.Text;
        var pieces = new List<TextPiece>();
        for (var b = from; b < to; b++)
        {
            var block = blocks[b];
            _splitter.Split(text, block.Start, block.End, b, block.Kind is BlockKind.Code or BlockKind.Table, pieces);
        }

        // Greedy packing: pieces are counted once and their counts summed; the sum is checked against the
        // real count of the chunk (joins inside words can tokenize differently) and trimmed if it is over.
        var next = 0;
        (int Start, int Tokens, int Block)? overlap = null;
        while (next < pieces.Count)
        {
            var start = overlap?.Start ?? pieces[next].Start;
            var budget = _maxTokens - (overlap?.Tokens ?? 0);
            var end = next;
            var sum = 0;
            while (end < pieces.Count && sum + pieces[end].Tokens <= budget)
            {
                sum += pieces[end].Tokens;
                end++;
            }
            if (end == next)
            {
                if (overlap is not null)
                {
                    overlap = null; // the next piece needs the whole window
                    continue;
                }
                end = next + 1; // cannot happen: every piece fits on its own
            }

            int tokens;
            while (true)
            {
                tokens = overlap is null && end == next + 1 ? pieces[next].Tokens : _splitter.Count(text, start, pieces[end - 1].End);
                if (tokens <= _maxTokens)
                {
                    break;
                }
                if (end - next > 1)
                {
                    end--;
                }
                else
                {
                    overlap = null;
                    start = pieces[next].Start;
                }
            }

            var chunkEnd = pieces[end - 1].End;
            var chunkText = text[start..chunkEnd];
            var index = chunks.Count;
            chunks.Add(new Chunk
            {
                Id = Chunk.CreateId(document.Id, index, chunkText),
                DocumentId = document.Id,
                Index = index,
                Text = chunkText,
                Start = start,
                End = chunkEnd,
                Headings = headings,
                Page = blocks[overlap?.Block ?? pieces[next].Block].Page,
                TokenCount = tokens,
            });

            overlap = end < pieces.Count ? FindOverlap(text, start, chunkEnd, pieces, next, end) : null;
            next = end;
        }
    }

    /// <summary>
    /// The trailing sentences of the chunk [start, end) worth at most the overlap budget, to repeat at
    /// the start of the next chunk; null when even the last sentence is over budget.
    /// </summary>
    private (int Start, int Tokens, int Block)? FindOverlap(string text, int start, int end, List<TextPiece> pieces, int first, int last)
    {
        if (_overlapTokens == 0)
        {
            return null;
        }
        // Only the tail can be in the overlap; sentences are searched from the last piece that may hold them.
        var from = last - 1;
        var tail = 0;
        while (from > first && tail + pieces[from].Tokens <= _overlapTokens)
        {
            tail += pieces[from].Tokens;
            from--;
        }
        var searchStart = Math.Max(start, pieces[from].Start);
        var starts = TextBoundaries.FindSentenceStarts(text, searchStart, end);
        if (searchStart > start && pieces[from].StartsSentence)
        {
            starts.Insert(0, searchStart);
        }

        (int Start, int Tokens, int Block)? best = null;
        for (var k = starts.Count - 1; k >= 0; k--)
        {
            var (sentenceStart, _) = TextBoundaries.Trim(text, starts[k], end);
            if (sentenceStart >= end || sentenceStart <= start)
            {
                continue;
            }
            var tokens = _splitter.Count(text, sentenceStart, end);
            if (tokens > _overlapTokens)
            {
                break;
            }
            best = (sentenceStart, tokens, BlockAt(pieces, first, last, sentenceStart));
        }
        return best;
    }

    private static int BlockAt(List<TextPiece> pieces, int first, int last, int position)
    {
        for (var p = last - 1; p > first; p--)
        {
            if (pieces[p].Start <= position)
            {
                return pieces[p].Block;
            }
        }
        return pieces[first].Block;
    }

    /// <summary>Blocks in text order, inside the text, not overlapping (readers are trusted, not blindly).</summary>
    private static List<DocumentBlock> NormalizeBlocks(IReadOnlyList<DocumentBlock> blocks, int textLength)
    {
        var sorted = blocks.Select((block, order) => (block, order))
            .OrderBy(p => p.block.Start).ThenBy(p => p.order)
            .Select(p => p.block);
        var result = new List<DocumentBlock>(blocks.Count);
        var covered = 0;
        foreach (var block in sorted)
        {
            var start = Math.Clamp(Math.Max(block.Start, covered), 0, textLength);
            var end = Math.Clamp(block.End, start, textLength);
            if (end > start)
            {
                result.Add(block with { Start = start, Length = end - start });
                covered = end;
            }
        }
        return result;
    }

    private static int Level(DocumentBlock block) =>
        block.Kind == BlockKind.Heading ? Math.Max(1, block.HeadingLevel) : int.MaxValue;

    /// <summary>The heading's text on one line, without Markdown's leading #s.</summary>
    private static string HeadingTitle(string text, DocumentBlock block)
    {
        var title = text.AsSpan(block.Start, block.Length).Trim();
        var hashes = title.IndexOfAnyExcept('#');
        if (hashes > 0 && char.IsWhiteSpace(title[hashes]))
        {
            title = title[hashes..].TrimStart();
        }
        var result = new StringBuilder(title.Length);
        foreach (var c in title)
        {
            if (!char.IsWhiteSpace(c))
            {
                result.Append(c);
            }
            else if (result.Length > 0 && result[^1] != ' ')
            {
                result.Append(' ');
            }
        }
        return result.ToString();
    }
}

using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Chunking;

/// <summary>
/// Splits a document into chunks that fit the embedding model, counting tokens with the model's own
/// tokenizer and bounding characters too (<see cref="ChunkingOptions.MaxCharacters"/>). Headings start
/// sections that chunks never cross; within a section, blocks (paragraphs, list items, code, tables) are
/// packed together, and a block too long for one chunk is split at the coarsest boundary that suffices
/// (paragraph, line, sentence end including CJK 。！？, clause, word, and as a last resort between text
/// elements). Consecutive chunks of a section overlap by whole trailing sentences. Thread-safe if the
/// counter is.
/// </summary>
/// <remarks>
/// Where a chunk ends is decided by the content around it, not by everything before it in the section,
/// so that editing one paragraph changes only the chunks near the edit (and their embeddings can be
/// kept for the rest). Packing from the section start would shift every later boundary once an edit
/// pushes one piece into the next chunk. Here a chunk ends early, once it holds at least half its
/// budget, after a piece whose own text hashes to an "anchor" (about one for every half budget
/// of tokens): two versions of a section that differ before an anchor both end a chunk there and agree
/// from then on. The overlap is taken from the previous chunk's tail after the boundaries are set, and
/// each chunk's budget leaves room for it, so overlap never moves a boundary either.
/// </remarks>
public sealed class TextChunker
{
    private const int SpecialTokens = 2; // [CLS] and [SEP]

    // A chunk may end at an anchor once it holds this share of its budget...
    private const double AnchorFloorShare = 0.5;
    // ...and anchors come about once per this share of the budget, in tokens of text.
    private const double AnchorSpacingShare = 0.5;

    private readonly ITokenCounter _counter;
    private readonly PieceSplitter _splitter;
    private readonly int _maxTokens;
    private readonly int _overlapTokens;
    private readonly int _maxCharacters;
    private readonly int _overlapCharacters;
    private readonly int _coreTokens;
    private readonly int _coreCharacters;
    private readonly int _anchorFloor;
    private readonly int _anchorSpacing;

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
        if (options.MaxCharacters != 0 && options.MaxCharacters < ChunkingOptions.MinCharacters)
        {
            throw new InvalidOptionException(
                $"Chunking MaxCharacters is {options.MaxCharacters}; use 0 ({ChunkingOptions.CharactersPerToken} per token of MaxTokens) or at least {ChunkingOptions.MinCharacters}.");
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
        _maxCharacters = options.MaxCharacters == 0 ? ChunkingOptions.CharactersPerToken * _maxTokens : options.MaxCharacters;
        _overlapCharacters = (int)((long)_maxCharacters * _overlapTokens / _maxTokens);
        _coreTokens = Math.Max(1, _maxTokens - _overlapTokens);
        _coreCharacters = Math.Max(1, _maxCharacters - _overlapCharacters);
        _anchorFloor = (int)(_coreTokens * AnchorFloorShare);
        _anchorSpacing = Math.Max(1, (int)(_coreTokens * AnchorSpacingShare));
        _splitter = new PieceSplitter(counter, _maxTokens, _maxCharacters);
    }

    /// <summary>Tokens per chunk at most, after fitting the options to the model's window.</summary>
    public int MaxTokens => _maxTokens;

    /// <summary>Characters per chunk at most.</summary>
    public int MaxCharacters => _maxCharacters;

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

        var next = 0;
        var previous = -1;
        while (next < pieces.Count)
        {
            var (end, coreTokens) = CoreEnd(text, pieces, next);
            var coreStart = pieces[next].Start;
            var chunkEnd = pieces[end - 1].End;

            var start = coreStart;
            var tokens = coreTokens;
            var startBlock = pieces[next].Block;
            if (previous >= 0 && FindOverlap(text, pieces[previous].Start, pieces[next - 1].End, pieces, previous, next) is { } overlap
                && chunkEnd - overlap.Start <= _maxCharacters)
            {
                var withOverlap = _splitter.Count(text, overlap.Start, chunkEnd);
                if (withOverlap <= _maxTokens)
                {
                    (start, tokens, startBlock) = (overlap.Start, withOverlap, overlap.Block);
                }
            }

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
                Page = blocks[startBlock].Page,
                TokenCount = tokens,
            });
            previous = next;
            next = end;
        }
    }

    /// <summary>
    /// Where the chunk whose own text (without overlap) starts at piece <paramref name="first"/> ends
    /// (exclusive), and its tokens: it takes pieces while they fit the budget, and stops early after an
    /// anchor once it is half full. A single piece may use the whole window (it then gets no overlap).
    /// </summary>
    private (int End, int Tokens) CoreEnd(string text, List<TextPiece> pieces, int first)
    {
        var sum = 0;
        var end = first;
        while (end < pieces.Count)
        {
            var piece = pieces[end];
            if (end > first && (sum + piece.Tokens > _coreTokens || piece.End - pieces[first].Start > _coreCharacters))
            {
                break;
            }
            sum += piece.Tokens;
            end++;
            if (sum >= _anchorFloor && IsAnchor(text, piece))
            {
                break;
            }
        }
        if (end == first + 1)
        {
            return (end, pieces[first].Tokens);
        }
        // Pieces were counted one by one; joined, they can tokenize differently (rarely more).
        while (true)
        {
            var tokens = _splitter.Count(text, pieces[first].Start, pieces[end - 1].End);
            if (tokens <= _coreTokens || end == first + 1)
            {
                return (end, end == first + 1 ? pieces[first].Tokens : tokens);
            }
            end--;
        }
    }

    /// <summary>
    /// Whether a chunk may end after this piece, judged by the piece's own text only: a stable hash of it
    /// (FNV-1a, the same in every process) lands in a share of its range that grows with the piece's
    /// tokens, so anchors come about every <see cref="_anchorSpacing"/> tokens whatever the piece sizes.
    /// </summary>
    private bool IsAnchor(string text, TextPiece piece)
    {
        var hash = 2166136261u;
        for (var i = piece.Start; i < piece.End; i++)
        {
            hash = (hash ^ text[i]) * 16777619u;
        }
        var share = Math.Min(1.0, (double)piece.Tokens / _anchorSpacing);
        return (hash % 1_000_000) < share * 1_000_000;
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
            if (end - sentenceStart > _overlapCharacters)
            {
                break;
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

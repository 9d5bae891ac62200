using System.Globalization;
using System.Text;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Chunking;

/// <summary>The bundled model's real WordPiece tokenizer (256-token window), loaded once per test class.</summary>
public sealed class TokenizerFixture
{
    public EmbeddingTokenizer Tokenizer { get; } = EmbeddingTokenizer.Load();
}

/// <summary>Counts how many characters were tokenized, to show the chunker does not re-tokenize quadratically.</summary>
internal sealed class MeteredTokenCounter(ITokenCounter inner) : ITokenCounter
{
    private long _characters;

    public long CharactersCounted => Interlocked.Read(ref _characters);
    public int MaxTokens => inner.MaxTokens;

    public int CountTokens(string text)
    {
        Interlocked.Add(ref _characters, text.Length);
        return inner.CountTokens(text);
    }
}

internal static class Documents
{
    /// <summary>
    /// A document from Markdown-like text: lines starting with #s are headings, ``` fences make code
    /// blocks, blank lines separate paragraphs. Offsets are exact, as a reader's would be.
    /// </summary>
    public static Document FromMarkdown(string text, string id = "doc.md")
    {
        var blocks = new List<DocumentBlock>();
        var position = 0;
        var paragraphStart = -1;
        var codeStart = -1;
        void EndParagraph(int end)
        {
            if (paragraphStart >= 0)
            {
                blocks.Add(new DocumentBlock(BlockKind.Paragraph, paragraphStart, end - paragraphStart));
                paragraphStart = -1;
            }
        }
        foreach (var line in text.Split('\n'))
        {
            var lineEnd = position + line.Length;
            if (codeStart >= 0)
            {
                if (line.StartsWith("```"))
                {
                    blocks.Add(new DocumentBlock(BlockKind.Code, codeStart, lineEnd - codeStart));
                    codeStart = -1;
                }
            }
            else if (line.StartsWith("```"))
            {
                EndParagraph(position);
                codeStart = position;
            }
            else if (line.StartsWith('#'))
            {
                EndParagraph(position);
                var level = line.TakeWhile(c => c == '#').Count();
                blocks.Add(new DocumentBlock(BlockKind.Heading, position, line.Length, level));
            }
            else if (string.IsNullOrWhiteSpace(line))
            {
                EndParagraph(position);
            }
            else if (paragraphStart < 0)
            {
                paragraphStart = position;
            }
            position = lineEnd + 1;
        }
        EndParagraph(text.Length);
        return new Document(id, id, text, blocks);
    }

    public static Document Plain(string text, string id = "doc.txt") => new(id, id, text);
}

internal static class ChunkAssert
{
    /// <summary>What every chunk list must satisfy, whatever the input.</summary>
    public static void WellFormed(Document document, IReadOnlyList<Chunk> chunks, ITokenCounter counter, int maxTokens)
    {
        var boundaries = StringInfo.ParseCombiningCharacters(document.Text).Append(document.Text.Length).ToHashSet();
        for (var i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i];
            Assert.Equal(i, chunk.Index);
            Assert.Equal(document.Id, chunk.DocumentId);
            Assert.Equal(document.Text[chunk.Start..chunk.End], chunk.Text);
            Assert.False(string.IsNullOrWhiteSpace(chunk.Text), $"chunk {i} is blank");
            Assert.False(char.IsWhiteSpace(chunk.Text[0]) || char.IsWhiteSpace(chunk.Text[^1]), $"chunk {i} is not trimmed");
            Assert.Equal(Chunk.CreateId(document.Id, i, chunk.Text), chunk.Id);
            var tokens = counter.CountTokens(chunk.Text);
            Assert.Equal(tokens, chunk.TokenCount);
            Assert.True(tokens <= maxTokens, $"chunk {i} has {tokens} tokens, more than {maxTokens}");
            Assert.True(boundaries.Contains(chunk.Start), $"chunk {i} starts inside a text element");
            Assert.True(boundaries.Contains(chunk.End), $"chunk {i} ends inside a text element");
            if (i > 0)
            {
                Assert.True(chunk.Start >= chunks[i - 1].Start && chunk.End > chunks[i - 1].End, $"chunk {i} is out of order");
            }
        }
    }

    /// <summary>
    /// Every non-blank character of every block is in some chunk. Headings are exempt: a heading with no
    /// text of its own before its first subheading is only carried in the chunks' heading paths.
    /// </summary>
    public static void CoversText(Document document, IReadOnlyList<Chunk> chunks)
    {
        var covered = new bool[document.Text.Length];
        foreach (var chunk in chunks)
        {
            Array.Fill(covered, true, chunk.Start, chunk.End - chunk.Start);
        }
        foreach (var block in document.Blocks.Where(b => b.Kind != BlockKind.Heading))
        {
            for (var i = block.Start; i < block.End; i++)
            {
                Assert.True(covered[i] || char.IsWhiteSpace(document.Text[i]), $"character {i} ('{document.Text[i]}') is in no chunk");
            }
        }
    }

    public static string Repeat(IReadOnlyList<string> parts, int count, string separator = "")
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append(parts[i % parts.Count]).Append(separator);
        }
        return text.ToString();
    }
}

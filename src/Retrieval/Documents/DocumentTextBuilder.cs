using System.Globalization;
using System.Text;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Builds a <see cref="Document"/>'s text block by block, keeping each block's offsets. Blocks are
/// separated by a blank line, except consecutive list items and table rows, which read better on
/// adjacent lines. Each block's text goes through <see cref="TextSanitizer.Clean"/>. Hosts that write
/// their own <see cref="IDocumentReader"/> can use it too.
/// </summary>
/// <param name="maxCharacters">
/// The most text the document may hold (<see cref="ReaderOptions.MaxTextCharacters"/>); one more
/// character throws <see cref="TextLimitExceededException"/>.
/// </param>
public sealed class DocumentTextBuilder(int maxCharacters = int.MaxValue)
{
    private readonly StringBuilder _text = new();
    private readonly List<DocumentBlock> _blocks = [];

    public int BlockCount => _blocks.Count;

    /// <summary>Characters of text so far.</summary>
    public int Length => _text.Length;

    /// <summary>Appends a block; text that is empty or whitespace only is ignored.</summary>
    public void Add(BlockKind kind, string text, int headingLevel = 0, int? page = null)
    {
        text = TextSanitizer.Clean(text);
        var trimmed = kind == BlockKind.Code ? TrimBlankLines(text) : text.Trim();
        if (trimmed.Length == 0 || string.IsNullOrWhiteSpace(trimmed))
            return;
        if (_blocks.Count > 0)
        {
            var previous = _blocks[^1];
            _text.Append(previous.Kind == BlockKind.ListItem && kind == BlockKind.ListItem ? "\n" : "\n\n");
        }
        if ((long)_text.Length + trimmed.Length > maxCharacters)
            throw new TextLimitExceededException(maxCharacters);
        _blocks.Add(new DocumentBlock(kind, _text.Length, trimmed.Length, kind == BlockKind.Heading ? Math.Max(1, headingLevel) : 0, page));
        _text.Append(trimmed);
    }

    public Document Build(DocumentReadContext context, string mediaType, string? title, IReadOnlyList<string>? tags = null) =>
        new(context.DocumentId, context.Source, _text.ToString(), _blocks.ToArray())
        {
            Title = string.IsNullOrWhiteSpace(title) ? null : title.Trim(),
            MediaType = mediaType,
            Tags = tags ?? [],
        };

    // Code keeps its indentation: only whole blank lines at either end go.
    private static string TrimBlankLines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int first = 0, last = lines.Length - 1;
        while (first <= last && string.IsNullOrWhiteSpace(lines[first])) first++;
        while (last >= first && string.IsNullOrWhiteSpace(lines[last])) last--;
        return first > last ? "" : string.Join('\n', lines[first..(last + 1)]).TrimEnd();
    }
}

/// <summary>
/// A document's text passed <see cref="ReaderOptions.MaxTextCharacters"/>. The registry turns it into a
/// <see cref="DocumentReadException"/> naming the file.
/// </summary>
public sealed class TextLimitExceededException(int limit) : KnowledgeQaException(string.Create(CultureInfo.InvariantCulture,
    $"its text passes {limit:N0} characters (ReaderOptions.MaxTextCharacters): split the file or raise the limit"))
{
    public int Limit { get; } = limit;
}

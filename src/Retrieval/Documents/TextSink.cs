using System.Text;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>Where text goes as it is decoded, one piece at a time.</summary>
internal abstract class TextSink
{
    public abstract void Append(ReadOnlySpan<char> chars);

    /// <summary>The text has ended.</summary>
    public virtual void Complete()
    {
    }

    /// <summary>Forgets what came so far (the decoder starts again in another encoding).</summary>
    public abstract void Clear();
}

/// <summary>
/// A file's text as readers want it, built as it is decoded: line ends as '\n' and no leading byte order
/// mark (or, with <c>clean</c>, <see cref="TextSanitizer.Clean"/>'s text), and never more than
/// <paramref name="maxCharacters"/>: one character more throws <see cref="TextLimitExceededException"/>
/// while the rest of the file is still unread.
/// </summary>
internal sealed class DecodedTextSink(bool clean, int maxCharacters = int.MaxValue) : TextSink
{
    private readonly StringBuilder _text = new();
    private TextSanitizer.Cleaner? _cleaner;
    private bool _afterCarriageReturn;

    public int Length => _text.Length;

    public override void Append(ReadOnlySpan<char> chars)
    {
        if (clean)
            (_cleaner ??= new TextSanitizer.Cleaner(_text)).Append(chars);
        else
            AppendNormalized(chars);
        if (_text.Length > maxCharacters)
            throw new TextLimitExceededException(maxCharacters);
    }

    public override void Complete()
    {
        _cleaner?.Complete();
        if (_text.Length > maxCharacters)
            throw new TextLimitExceededException(maxCharacters);
    }

    public override void Clear()
    {
        _text.Clear();
        _cleaner = null;
        _afterCarriageReturn = false;
    }

    public override string ToString() => _text.ToString();

    // As text.Replace("\r\n", "\n").Replace('\r', '\n').TrimStart('\uFEFF'), across pieces.
    private void AppendNormalized(ReadOnlySpan<char> chars)
    {
        if (!_afterCarriageReturn && _text.Length > 0 && !chars.Contains('\r'))
        {
            _text.Append(chars);
            return;
        }
        foreach (var c in chars)
        {
            if (_afterCarriageReturn)
            {
                _afterCarriageReturn = false;
                if (c == '\n')
                    continue;
            }
            if (c == '\r')
            {
                _text.Append('\n');
                _afterCarriageReturn = true;
            }
            else if (c != '\uFEFF' || _text.Length > 0)
            {
                _text.Append(c);
            }
        }
    }
}

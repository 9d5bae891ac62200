using System.Text;

namespace KnowledgeQa.Server.OpenAi;

/// <summary>
/// Ends streamed text before the first stop sequence, as OpenAI's <c>stop</c> does. Local models
/// only stop on a single token that equals a stop sequence, so the endpoint cuts the text itself:
/// text that might be the start of a stop sequence is held back until the next piece decides.
/// </summary>
public sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _held = new();

    /// <summary>A stop sequence was seen: nothing more is shown.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The text that can be shown now.</summary>
    public string Add(string piece)
    {
        if (Stopped || piece.Length == 0)
            return "";
        if (stops.Count == 0)
            return piece;
        _held.Append(piece);
        var text = _held.ToString();
        var cut = FirstStop(text);
        if (cut >= 0)
        {
            Stopped = true;
            _held.Clear();
            return text[..cut];
        }
        var ready = text[..^HeldBack(text)];
        _held.Remove(0, ready.Length);
        return ready;
    }

    /// <summary>What was held back, once the text has ended without a stop sequence.</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _held.ToString();
        _held.Clear();
        return rest;
    }

    /// <summary>The whole of <paramref name="text"/> up to its first stop sequence.</summary>
    public static string Cut(string text, IReadOnlyList<string> stops)
    {
        var filter = new StopSequenceFilter(stops);
        return filter.Add(text) + filter.Flush();
    }

    private int FirstStop(string text)
    {
        var first = -1;
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
                first = at;
        }
        return first;
    }

    /// <summary>The longest end of <paramref name="text"/> that begins some stop sequence.</summary>
    private int HeldBack(string text)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}

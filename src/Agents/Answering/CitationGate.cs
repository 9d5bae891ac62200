using System.Text;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Holds a generated answer back until it cites a passage. A reply without a valid citation is
/// not the knowledge base's answer (a document may have told the model to say anything), so
/// nothing of it may reach the caller before the first [n] shows the model is answering from the
/// passages; from then on the text streams as it arrives.
/// </summary>
public sealed class CitationGate(int passageCount, bool holdUntilCited = true)
{
    private readonly StringBuilder _text = new();
    private int _released;

    public bool IsOpen { get; private set; } = !holdUntilCited;

    /// <summary>Everything generated so far.</summary>
    public string Text => _text.ToString();

    /// <summary>Adds a piece of the reply; returns the text that may be shown now (empty while held).</summary>
    public string Add(string piece)
    {
        _text.Append(piece);
        if (!IsOpen && CitationParser.Parse(_text.ToString(), passageCount).Count > 0)
            IsOpen = true;
        if (!IsOpen)
            return "";
        var release = _text.ToString(_released, _text.Length - _released);
        _released = _text.Length;
        return release;
    }
}

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Numbers an extractive answer's passages in the order its sentences cite them, the uncited ones after.
/// The passages an answer draws on come in search order, and the best sentence often comes from a later
/// one (a same-document passage below the one judged relevant): without this, an answer that cites one
/// passage could read "...四個半小時。[2]" with [2] as its only source.
/// </summary>
internal static class CitedFirst
{
    public static (IReadOnlyList<T> Passages, IReadOnlyList<ExtractedSentence> Sentences, IReadOnlyList<ExtractedSentence> RunnersUp) Renumber<T>(
        IReadOnlyList<T> passages, IReadOnlyList<ExtractedSentence> sentences, IReadOnlyList<ExtractedSentence> runnersUp)
    {
        var order = sentences.Select(s => s.PassageNumber)
            .Concat(Enumerable.Range(1, passages.Count))
            .Distinct()
            .ToList();
        var renumbered = order.Select((old, i) => (old, New: i + 1)).ToDictionary(p => p.old, p => p.New);
        return (
            order.Select(old => passages[old - 1]).ToList(),
            sentences.Select(s => s with { PassageNumber = renumbered[s.PassageNumber] }).ToList(),
            runnersUp.Select(s => s with { PassageNumber = renumbered[s.PassageNumber] }).ToList());
    }
}

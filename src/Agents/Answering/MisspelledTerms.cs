namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Reads a question's misspelled word as the word the retrieved passages spell one edit away ("Beriods" for the
/// passages' "beroids", "septicemia" for "septicaemia"): a term no retrieved passage holds would otherwise count as
/// the question's most telling missing term and refuse a question whose passage dense search found.
/// </summary>
public static class MisspelledTerms
{
    // Shorter words are too often other words one edit away (sent / send, arms / army).
    private const int MinLength = 6;

    /// <summary>
    /// The focus with each Latin term that no passage holds replaced by the passage term one edit away (a letter
    /// inserted, dropped, changed or two swapped) that the best-ranked passage holds; unchanged when there is none or a tie.
    /// </summary>
    public static QuestionFocus Repair(QuestionFocus focus, IReadOnlyList<PassageEvidence> passages)
    {
        ArgumentNullException.ThrowIfNull(focus);
        ArgumentNullException.ThrowIfNull(passages);
        Dictionary<string, string>? repaired = null;
        foreach (var term in focus.Terms)
        {
            if (term.Length < MinLength || !term.All(IsLatinLetter) || passages.Any(p => p.Has(term)))
                continue;
            // The search ranked the passage that spells the word rightly high (dense search reads past the typo):
            // the best-ranked passage's near term wins over a common word elsewhere ("Beriods": beroids, not period).
            var near = passages.SelectMany(p => p.AllTerms.Where(t => t.Length >= MinLength - 1 && OneEditApart(term, t)).Select(t => (Term: t, p.Rank)))
                .GroupBy(n => n.Term, StringComparer.Ordinal).Select(g => (Term: g.Key, Best: g.Min(n => n.Rank), Passages: g.Count()))
                .OrderBy(g => g.Best).ThenByDescending(g => g.Passages).Take(2).ToList();
            if (near.Count == 0 || (near.Count == 2 && (near[0].Best, near[0].Passages) == (near[1].Best, near[1].Passages)) || focus.Terms.Contains(near[0].Term))
                continue;
            (repaired ??= new(StringComparer.Ordinal))[term] = near[0].Term;
        }

        if (repaired is null)
            return focus;
        string Read(string t) => repaired.GetValueOrDefault(t, t);
        return focus with { Terms = focus.Terms.Select(Read).ToList(), NamedTerms = focus.NamedTerms.Select(Read).ToList() };
    }

    private static bool IsLatinLetter(char c) => c is >= 'a' and <= 'z';

    /// <summary>Optimal string alignment distance of exactly one: one insertion, deletion, substitution or swap of neighbours.</summary>
    public static bool OneEditApart(string a, string b)
    {
        if (a == b || Math.Abs(a.Length - b.Length) > 1)
            return false;
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
            i++;
        if (a.Length == b.Length)
        {
            // A changed letter, or two neighbours swapped.
            return a.AsSpan(i + 1).SequenceEqual(b.AsSpan(i + 1))
                || (i + 1 < a.Length && a[i] == b[i + 1] && a[i + 1] == b[i] && a.AsSpan(i + 2).SequenceEqual(b.AsSpan(i + 2)));
        }

        var (longer, shorter) = a.Length > b.Length ? (a, b) : (b, a);
        return longer.AsSpan(i + 1).SequenceEqual(shorter.AsSpan(i));
    }
}

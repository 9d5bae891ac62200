using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Finds what a generated answer used of each passage it cites: the text before each [n] marker
/// (back to the previous marker) is a claim, and the passage's sentences that share most of the
/// claim's terms are highlighted.
/// </summary>
public sealed class CitationHighlighter(ContentTerms terms)
{
    // A sentence must hold this share of a claim's terms to count as its source.
    private const double MinShare = 0.3;
    // Sentences within this share of the best one count too (a claim may merge two sentences).
    private const double NearBest = 0.8;

    /// <summary>Highlights per cited passage number.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<TextRange>> Highlight(string answer, IReadOnlyList<PassageEvidence> passages)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(passages);
        var ranges = new Dictionary<int, List<TextRange>>();
        var claimStart = 0;
        string? lastClaim = null;
        foreach (var marker in CitationParser.Markers(answer, passages.Count))
        {
            var claim = answer[claimStart..marker.Index];
            if (claim.Trim().Length == 0 && ranges.Count > 0)
            {
                // "[1][2]": the second marker cites the same claim as the first.
                claim = lastClaim ?? claim;
            }

            lastClaim = claim;
            claimStart = marker.Index + marker.Length;
            var claimTerms = terms.Of(claim);
            if (claimTerms.Count == 0)
                continue;
            foreach (var number in marker.Numbers)
            {
                var passage = passages[number - 1];
                var shares = passage.UnitTerms.Select(unitTerms => claimTerms.Count(unitTerms.Contains) / (double)claimTerms.Count).ToList();
                var best = shares.Count == 0 ? 0 : shares.Max();
                if (best < MinShare)
                    continue;
                var list = ranges.TryGetValue(number, out var existing) ? existing : ranges[number] = [];
                for (var u = 0; u < shares.Count; u++)
                {
                    if (shares[u] >= best * NearBest && passage.Units[u].Kind != PassageUnitKind.Heading)
                        Add(list, passage.Units[u]);
                }
            }
        }

        return ranges.ToDictionary(p => p.Key, p => (IReadOnlyList<TextRange>)p.Value.OrderBy(r => r.Start).ToList());
    }

    private static void Add(List<TextRange> list, PassageUnit unit)
    {
        if (unit.Header is { } header && !list.Contains(new TextRange(header.Start, header.Length)))
            list.Add(new TextRange(header.Start, header.Length));
        var range = new TextRange(unit.Start, unit.Length);
        if (!list.Contains(range))
            list.Add(range);
    }
}

namespace KnowledgeQa.Agents.Classification;

/// <summary>Seeded, label-stratified splits and samples, so that every run sees the same examples.</summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Splits so that each label keeps its share in both parts: per label, round(n · fraction) examples
    /// go to the second part, but a label never loses its only example to it. Both parts keep input order.
    /// </summary>
    public static (IReadOnlyList<T> First, IReadOnlyList<T> Second) Split<T>(IReadOnlyList<T> items, Func<T, string> label, double secondFraction, int seed)
    {
        if (secondFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(secondFraction), secondFraction, "The fraction must lie in [0, 1].");
        var random = new Random(seed);
        var inSecond = new bool[items.Count];
        foreach (var group in Enumerable.Range(0, items.Count).GroupBy(i => label(items[i]), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var indices = group.ToArray();
            random.Shuffle(indices);
            var take = (int)Math.Round(indices.Length * secondFraction, MidpointRounding.AwayFromZero);
            take = Math.Min(take, indices.Length - 1);
            for (var i = 0; i < take; i++) inSecond[indices[i]] = true;
        }
        var first = new List<T>();
        var second = new List<T>();
        for (var i = 0; i < items.Count; i++) (inSecond[i] ? second : first).Add(items[i]);
        return (first, second);
    }

    /// <summary>Up to <paramref name="perLabel"/> examples of each label, drawn with a seed; output keeps input order.</summary>
    public static IReadOnlyList<T> SamplePerLabel<T>(IReadOnlyList<T> items, Func<T, string> label, int perLabel, int seed)
    {
        var random = new Random(seed);
        var chosen = new bool[items.Count];
        foreach (var group in Enumerable.Range(0, items.Count).GroupBy(i => label(items[i]), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var indices = group.ToArray();
            random.Shuffle(indices);
            foreach (var i in indices.Take(perLabel)) chosen[i] = true;
        }
        return items.Where((_, i) => chosen[i]).ToArray();
    }
}

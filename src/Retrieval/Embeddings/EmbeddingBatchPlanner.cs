namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// Splits the inputs of one embedding call, sorted longest first, into ONNX Runtime runs so that little
/// padding is computed: each run is padded to its longest input, so a run that mixes one long chunk with
/// many short ones computes mostly padding. Fixed-size groups of the sorted inputs still do that wherever
/// lengths fall off steeply (real folders mix 250-token chunks with 10-token headings); this plan picks the
/// group boundaries that minimise the token cells computed, plus a cost per run, by dynamic programming.
/// </summary>
/// <remarks>
/// A run holds at most <c>maxRows</c> inputs and, beyond one input, at most <c>maxCells</c> token cells
/// (rows x padded length), which bounds the memory of a run (attention scores grow with rows x length²).
/// The per-run cost keeps the plan from splitting into many tiny runs, whose fixed cost (one pass over
/// the graph's operators) and small matrix products would outweigh the padding they save.
/// </remarks>
internal static class EmbeddingBatchPlanner
{
    /// <summary>What one more run costs, in token cells: about ONNX Runtime's fixed cost per run of MiniLM.</summary>
    public const int RunCostCells = 64;

    /// <summary>
    /// The sizes of consecutive runs over <paramref name="lengths"/> (sorted longest first): as <see cref="Plan"/>
    /// cuts them, or, with <paramref name="fixedRuns"/>, runs of <paramref name="maxRows"/> (the batching before
    /// length-aware runs, which the benchmark measures against).
    /// </summary>
    public static List<int> Sizes(ReadOnlySpan<int> lengths, int maxRows, int maxCells, bool fixedRuns)
    {
        if (!fixedRuns)
            return Plan(lengths, maxRows, maxCells);
        var sizes = new List<int>();
        for (var start = 0; start < lengths.Length; start += maxRows)
            sizes.Add(Math.Min(maxRows, lengths.Length - start));
        return sizes;
    }

    /// <summary>The sizes of consecutive runs over <paramref name="lengths"/> (sorted longest first).</summary>
    public static List<int> Plan(ReadOnlySpan<int> lengths, int maxRows, int maxCells)
    {
        var count = lengths.Length;
        var best = new long[count + 1];
        var from = new int[count + 1];
        for (var end = 1; end <= count; end++)
        {
            best[end] = long.MaxValue;
            for (var start = end - 1; start >= 0 && end - start <= maxRows; start--)
            {
                var rows = end - start;
                // lengths[start] is the longest of start..end-1; it only grows as start moves back.
                var cells = (long)rows * Math.Max(1, lengths[start]);
                if (rows > 1 && cells > maxCells)
                    break;
                var cost = best[start] + cells + RunCostCells;
                if (cost < best[end])
                {
                    best[end] = cost;
                    from[end] = start;
                }
            }
        }
        var sizes = new List<int>();
        for (var end = count; end > 0; end = from[end])
            sizes.Add(end - from[end]);
        sizes.Reverse();
        return sizes;
    }
}

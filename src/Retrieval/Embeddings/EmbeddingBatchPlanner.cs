namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>How the inputs of one embedding call are cut into ONNX Runtime runs.</summary>
internal enum EmbeddingRunPlan
{
    /// <summary>Runs of BatchSize sorted inputs, each padded to its longest (the benchmarks' "before").</summary>
    Fixed,

    /// <summary>Runs cut where the least padding is computed (CUDA, where wide runs keep the GPU busy).</summary>
    LengthAware,

    /// <summary>Only inputs of one length share a run, so nothing is padded (the CPU; the int8 model needs it).</summary>
    PadFree,
}

/// <summary>
/// Splits the inputs of one embedding call, sorted longest first, into ONNX Runtime runs. A run is padded to
/// its longest input, so a run that mixes one long chunk with many short ones computes mostly padding.
/// <see cref="EmbeddingRunPlan.LengthAware"/> picks the group boundaries that minimise the token cells computed,
/// plus a cost per run, by dynamic programming; <see cref="EmbeddingRunPlan.PadFree"/> computes no padding at all.
/// </summary>
/// <remarks>
/// A run holds at most <c>maxRows</c> inputs and, beyond one input, at most <c>maxCells</c> token cells
/// (rows x padded length), which bounds the memory of a run (attention scores grow with rows x length²).
/// Why pad-free runs on the CPU (bench `variants`, docs/quality.md issue 13, eighth round): ONNX Runtime's CPU
/// MultiHeadAttention takes MLAS's flash path only without a mask, and a run without padding needs none; the
/// matrix products of one ~150-token input are already wide enough that bigger runs gain little, and the
/// classic attention path's score tensor (rows x heads x length²) of a wide run falls out of the cache.
/// </remarks>
internal static class EmbeddingBatchPlanner
{
    /// <summary>What one more run costs, in token cells: about ONNX Runtime's fixed cost per run of MiniLM.</summary>
    public const int RunCostCells = 64;

    /// <summary>The sizes of consecutive runs over <paramref name="lengths"/> (sorted longest first) by <paramref name="plan"/>.</summary>
    public static List<int> Sizes(ReadOnlySpan<int> lengths, int maxRows, int maxCells, EmbeddingRunPlan plan) => plan switch
    {
        EmbeddingRunPlan.Fixed => FixedRuns(lengths.Length, maxRows),
        EmbeddingRunPlan.PadFree => PadFree(lengths, maxRows, maxCells),
        _ => Plan(lengths, maxRows, maxCells),
    };

    private static List<int> FixedRuns(int count, int maxRows)
    {
        var sizes = new List<int>();
        for (var start = 0; start < count; start += maxRows)
            sizes.Add(Math.Min(maxRows, count - start));
        return sizes;
    }

    /// <summary>Runs of inputs of one length (sorted, so they stand together), within the row and cell limits.</summary>
    public static List<int> PadFree(ReadOnlySpan<int> lengths, int maxRows, int maxCells)
    {
        var sizes = new List<int>();
        var rowsPerRun = Math.Max(1, maxRows);
        for (var start = 0; start < lengths.Length;)
        {
            var length = Math.Max(1, lengths[start]);
            var limit = Math.Clamp(maxCells / length, 1, rowsPerRun);
            var end = start + 1;
            while (end < lengths.Length && end - start < limit && lengths[end] == lengths[start])
                end++;
            sizes.Add(end - start);
            start = end;
        }
        return sizes;
    }

    /// <summary>The sizes of consecutive runs over <paramref name="lengths"/> (sorted longest first) with the least padding and run cost.</summary>
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

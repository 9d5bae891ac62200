using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>How a dense search over an index file probes it.</summary>
/// <param name="Candidates">How many rows to hand back for exact rescoring.</param>
/// <param name="RowsToScan">Probe lists, nearest first, until this many eligible rows were scored.</param>
/// <param name="ParallelRows">Unfiltered scans of at least this many rows are split across the cores.</param>
/// <param name="Shortlist">Rows the 4-bit first pass keeps for the int8 codes to rank again; at most <paramref name="Candidates"/>: no first pass, the lists' int8 codes are scanned.</param>
/// <param name="FourRowsAtOnce">Score unfiltered rows four at a time (false: one at a time, the same scores; for the benchmark's comparison).</param>
internal readonly record struct ProbePlan(int Candidates, int RowsToScan, int ParallelRows = int.MaxValue, int Shortlist = 0, bool FourRowsAtOnce = true);

/// <summary>
/// The dense half of an index file: the rows' vectors quantized twice, to 4 bits (see
/// <see cref="NibbleQuantizer"/>) and to bytes (see <see cref="ScalarQuantizer"/>), both laid out
/// list after list (see <see cref="ListPartition"/>). A search scores the query against every
/// centroid, then scans the nearest lists' 4-bit codes with integer SIMD dot products until
/// enough rows were seen, keeping a shortlist that the int8 codes rank again; the caller rescores
/// the best of those with the exact vectors. The scan reads memory at the rate one core fetches
/// it, so the 4-bit codes (half the bytes and half the instructions of the int8 ones) halve it.
/// A filter that leaves few rows is answered by scanning exactly those rows' int8 codes instead,
/// so a filtered search never misses rows the lists did not reach. A large unfiltered scan is
/// split across the cores (<see cref="ProbePlan.ParallelRows"/>).
/// </summary>
internal sealed class ListedVectors
{
    private readonly IndexFile _file;
    private readonly int _dimensions;
    private readonly int _lists;
    private readonly ScalarQuantizer _quantizer;
    private readonly NibbleQuantizer _nibbles;

    public ListedVectors(IndexFile file)
    {
        _file = file;
        _dimensions = file.Header.Dimensions;
        _lists = file.Header.Lists;
        _quantizer = new ScalarQuantizer(
            file.Span<float>(IndexSection.QuantizerOffsets, 0, _dimensions).ToArray(),
            file.Span<float>(IndexSection.QuantizerSteps, 0, _dimensions).ToArray());
        _nibbles = new NibbleQuantizer(
            file.Span<float>(IndexSection.NibbleLows, 0, _dimensions).ToArray(),
            file.Span<float>(IndexSection.NibbleSteps, 0, _dimensions).ToArray());
    }

    /// <summary>The best candidate rows (row numbers of the file) for a unit query, best approximate score first.</summary>
    public int[] Search(ReadOnlySpan<float> normalizedQuery, ProbePlan plan, RowFilter filter, int eligibleRows)
    {
        var collector = new TopKCollector(Math.Max(1, plan.Candidates));
        var weights = new short[_dimensions];
        _quantizer.PrepareQuery(normalizedQuery, weights);
        if (filter.AllowedDocuments is not null && eligibleRows <= plan.RowsToScan)
        {
            ScanAllowedDocuments(weights, filter, collector);
        }
        else if (plan.Shortlist > collector.Capacity)
        {
            var nibbleWeights = new sbyte[NibbleQuantizer.WeightsFor(_dimensions)];
            _nibbles.PrepareQuery(normalizedQuery, nibbleWeights);
            var shortlist = new TopKCollector(plan.Shortlist);
            ScanNearestLists(normalizedQuery, plan, filter, shortlist, new NibbleScorer(nibbleWeights, _nibbles.Stride));
            RankAgain(weights, shortlist, collector);
        }
        else
        {
            ScanNearestLists(normalizedQuery, plan, filter, collector, new CodeScorer(weights));
        }
        return Array.ConvertAll(collector.ToSortedArray(), hit => hit.Item);
    }

    private void ScanNearestLists<TScorer>(ReadOnlySpan<float> query, ProbePlan plan, RowFilter filter, TopKCollector collector, TScorer scorer)
        where TScorer : struct, IRowScorer
    {
        var order = new int[_lists];
        var closeness = new float[_lists];
        var centroids = _file.Span<float>(IndexSection.Centroids, 0, _lists * _dimensions);
        for (var list = 0; list < _lists; list++)
        {
            order[list] = list;
            closeness[list] = -TensorPrimitives.Dot(centroids.Slice(list * _dimensions, _dimensions), query);
        }
        Array.Sort(closeness, order);
        var starts = _file.Span<int>(IndexSection.ListStarts, 0, _lists + 1);
        if (filter.AllowedDocuments is null && plan.RowsToScan >= plan.ParallelRows && Environment.ProcessorCount > 1)
        {
            ScanInParallel(order, NearestListsCovering(order, starts, plan.RowsToScan, filter), filter, collector, scorer, plan.FourRowsAtOnce);
            return;
        }
        var scanned = 0;
        for (var i = 0; i < order.Length && scanned < plan.RowsToScan; i++)
        {
            var list = order[i];
            scanned += Scan(scorer, starts[list], starts[list + 1] - starts[list], filter, collector, plan.FourRowsAtOnce);
        }
    }

    /// <summary>The shortlist's rows ranked by their int8 codes (read by row position: a few hundred scattered rows).</summary>
    private void RankAgain(ReadOnlySpan<short> weights, TopKCollector shortlist, TopKCollector collector)
    {
        var positions = _file.Span<int>(IndexSection.RowPositions, 0, _file.Header.Rows);
        foreach (var (row, _) in shortlist.ToSortedArray())
        {
            var codes = _file.Span<sbyte>(IndexSection.Codes, (long)positions[row] * _dimensions, _dimensions);
            float score = QuantizedDot.Compute(codes, weights);
            if (score > collector.Threshold)
            {
                collector.Add(score, row);
            }
        }
    }

    /// <summary>
    /// How many of the nearest lists the sequential scan would read: lists until their rows, less
    /// the share deleted, reach <paramref name="rowsToScan"/>. Fixed before the scan, so the split
    /// scan reads the same lists whichever core takes which.
    /// </summary>
    private static int NearestListsCovering(int[] order, ReadOnlySpan<int> starts, int rowsToScan, RowFilter filter)
    {
        var rows = starts[^1];
        var liveShare = rows == 0 ? 1.0 : (double)(rows - filter.DeletedRows) / rows;
        var covered = 0.0;
        var lists = 0;
        while (lists < order.Length && covered < rowsToScan)
        {
            covered += (starts[order[lists] + 1] - starts[order[lists]]) * liveShare;
            lists++;
        }
        return lists;
    }

    /// <summary>Scans the first <paramref name="lists"/> of <paramref name="order"/> on all cores, each keeping its own best rows, then merges them.</summary>
    private void ScanInParallel<TScorer>(int[] order, int lists, RowFilter filter, TopKCollector collector, TScorer scorer, bool fourRowsAtOnce)
        where TScorer : struct, IRowScorer
    {
        var partials = new List<TopKCollector>();
        var capacity = collector.Capacity;
        Parallel.For(0, lists, () => new TopKCollector(capacity), (i, _, partial) =>
        {
            var first = _file.Span<int>(IndexSection.ListStarts, order[i], 2);
            Scan(scorer, first[0], first[1] - first[0], filter, partial, fourRowsAtOnce);
            return partial;
        }, partial =>
        {
            lock (partials)
            {
                partials.Add(partial);
            }
        });
        // Merged best first, ties by row, so equal scores at the cut keep the same rows whichever core found them.
        var merged = partials.SelectMany(partial => partial.ToSortedArray()).ToArray();
        Array.Sort(merged, static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        foreach (var (row, score) in merged)
        {
            if (score > collector.Threshold)
            {
                collector.Add(score, row);
            }
        }
    }

    /// <summary>
    /// Scores the rows at consecutive list positions that pass the filter into the collector and
    /// returns how many did: the hot loop of a dense search, one copy per scorer (a struct, so its
    /// dot product is inlined). Without deletions or a filter no row is checked (most searches), and
    /// the collector's threshold is read again only when a row enters it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Scan<TScorer>(TScorer scorer, int first, int count, RowFilter filter, TopKCollector collector, bool fourRowsAtOnce)
        where TScorer : struct, IRowScorer
    {
        var stride = scorer.Stride;
        var rows = _file.Span<int>(IndexSection.PositionRows, first, count);
        var codes = _file.Span<byte>(scorer.Section, (long)first * stride, count * stride);
        ref var code = ref MemoryMarshal.GetReference(codes);
        var threshold = collector.Threshold;
        if (filter.AllowsAll)
        {
            var p = 0;
            // Four rows at a time (see NibbleDot.ComputeFour); the collector sees them in the same order as one at a time.
            for (; fourRowsAtOnce && p + 4 <= count; p += 4)
            {
                var four = Vector128.ConvertToSingle(scorer.ScoreFour(ref Unsafe.Add(ref code, p * stride)));
                if (!Vector128.GreaterThanAny(four, Vector128.Create(threshold)))
                {
                    continue;
                }
                for (var k = 0; k < 4; k++)
                {
                    if (four[k] > threshold)
                    {
                        collector.Add(four[k], rows[p + k]);
                        threshold = collector.Threshold;
                    }
                }
            }
            for (; p < count; p++)
            {
                float score = scorer.Score(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref code, p * stride), stride));
                if (score > threshold)
                {
                    collector.Add(score, rows[p]);
                    threshold = collector.Threshold;
                }
            }
            return count;
        }
        var documents = _file.Span<int>(IndexSection.PositionDocuments, first, count);
        var scored = 0;
        for (var p = 0; p < count; p++)
        {
            if (!filter.Allows(rows[p], documents[p]))
            {
                continue;
            }
            scored++;
            float score = scorer.Score(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref code, p * stride), stride));
            if (score > threshold)
            {
                collector.Add(score, rows[p]);
                threshold = collector.Threshold;
            }
        }
        return scored;
    }

    private void ScanAllowedDocuments(ReadOnlySpan<short> weights, RowFilter filter, TopKCollector collector)
    {
        var allowed = filter.AllowedDocuments!;
        var starts = _file.Span<int>(IndexSection.DocumentRowStarts, 0, allowed.Length + 1);
        var positions = _file.Span<int>(IndexSection.RowPositions, 0, _file.Header.Rows);
        for (var document = 0; document < allowed.Length; document++)
        {
            if (!allowed[document])
            {
                continue;
            }
            foreach (var row in _file.Span<int>(IndexSection.DocumentRows, starts[document], starts[document + 1] - starts[document]))
            {
                if (!filter.Allows(row, document))
                {
                    continue;
                }
                var codes = _file.Span<sbyte>(IndexSection.Codes, (long)positions[row] * _dimensions, _dimensions);
                float score = QuantizedDot.Compute(codes, weights);
                if (score > collector.Threshold)
                {
                    collector.Add(score, row);
                }
            }
        }
    }
}

/// <summary>Scores one row's codes against a prepared query, for <see cref="ListedVectors"/>' scan.</summary>
internal interface IRowScorer
{
    /// <summary>The section of the index file the codes are in.</summary>
    IndexSection Section { get; }

    /// <summary>Bytes per row.</summary>
    int Stride { get; }

    int Score(ReadOnlySpan<byte> row);

    /// <summary>The scores of four consecutive rows starting at <paramref name="first"/> (<see cref="Stride"/> bytes apart).</summary>
    Vector128<int> ScoreFour(ref byte first);
}

/// <summary>The 4-bit codes (see <see cref="NibbleQuantizer"/>).</summary>
internal readonly struct NibbleScorer(sbyte[] weights, int stride) : IRowScorer
{
    public IndexSection Section => IndexSection.Nibbles;

    public int Stride => stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Score(ReadOnlySpan<byte> row) => NibbleDot.Compute(row, weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<int> ScoreFour(ref byte first) => NibbleDot.ComputeFour(ref first, stride, weights);
}

/// <summary>The int8 codes (see <see cref="ScalarQuantizer"/>).</summary>
internal readonly struct CodeScorer(short[] weights) : IRowScorer
{
    public IndexSection Section => IndexSection.Codes;

    public int Stride => weights.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Score(ReadOnlySpan<byte> row) => QuantizedDot.Compute(MemoryMarshal.Cast<byte, sbyte>(row), weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<int> ScoreFour(ref byte first)
    {
        var stride = weights.Length;
        return Vector128.Create(
            Score(MemoryMarshal.CreateReadOnlySpan(ref first, stride)),
            Score(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref first, stride), stride)),
            Score(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref first, 2 * stride), stride)),
            Score(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref first, 3 * stride), stride)));
    }
}

using System.Runtime.CompilerServices;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>A query term as lexical search weighs it: query weight × idf, and its place in the order scores are summed in.</summary>
/// <param name="Slot">Position in the canonical order (weight descending, then term id), in which every chunk's score is summed.</param>
internal readonly record struct WeightedTerm(uint Term, double Weight, int Slot);

/// <summary>
/// The lexical half of an index file: for each term, the rows that hold it (ascending) and their
/// stored weights, with the largest weight per term. Top-k search is document-at-a-time with
/// max-score pruning: terms are ordered by the most they can add (weight × largest stored weight);
/// once the k-th best score exceeds what the weakest terms can add together, those terms stop
/// proposing rows and are only looked up (by galloping search) for rows the others propose, and
/// a row is dropped as soon as even all its remaining terms could not lift it into the top k.
/// Every kept row's score is summed over its terms in the canonical order, so scores (and ties)
/// are exactly those of an exhaustive BM25 pass.
/// </summary>
internal sealed unsafe class IndexedPostings
{
    private readonly IndexFile _file;
    private readonly int _terms;

    public IndexedPostings(IndexFile file)
    {
        _file = file;
        _terms = file.Header.Terms;
    }

    /// <summary>The term's index in the file, or −1.</summary>
    public int Find(uint term)
    {
        var index = _file.Span<uint>(IndexSection.Terms, 0, _terms).BinarySearch(term);
        return index >= 0 ? index : -1;
    }

    public int DocumentFrequency(int termIndex)
    {
        var starts = _file.Pointer<long>(IndexSection.TermStarts);
        return (int)(starts[termIndex + 1] - starts[termIndex]);
    }

    /// <summary>The stored weight of a term in a row, or null when the row does not hold it.</summary>
    public float? Weight(int termIndex, int row)
    {
        var start = _file.Pointer<long>(IndexSection.TermStarts)[termIndex];
        var at = _file.Span<int>(IndexSection.PostingRows, start, DocumentFrequency(termIndex)).BinarySearch(row);
        return at >= 0 ? _file.Pointer<float>(IndexSection.PostingWeights)[start + at] : null;
    }

    /// <summary>
    /// Adds the best rows for the terms (those present in the file, with their file indices) to
    /// <paramref name="hits"/>, identified by chunk rowid. <paramref name="prune"/> must be false
    /// unless every weight and stored weight is ≥ 0.
    /// </summary>
    // Fully optimised from the first query: this loop is the whole cost of a lexical search.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Search(IReadOnlyList<(int TermIndex, WeightedTerm Term)> terms, int slots, RowFilter filter, bool prune, RankedHits hits)
    {
        var n = terms.Count;
        if (n == 0)
        {
            return;
        }
        var rows = _file.Pointer<int>(IndexSection.PostingRows);
        var weights = _file.Pointer<float>(IndexSection.PostingWeights);
        var termStarts = _file.Pointer<long>(IndexSection.TermStarts);
        var maxWeights = _file.Pointer<float>(IndexSection.TermMaxWeights);
        var chunkRowIds = _file.Pointer<long>(IndexSection.ChunkRowIds);
        var rowDocuments = _file.Pointer<int>(IndexSection.RowDocuments);

        // Cursors sorted by the most each term can add, weakest first.
        var ordered = terms
            .Select(t => (t.TermIndex, t.Term, Bound: t.Term.Weight * maxWeights[t.TermIndex]))
            .OrderBy(t => t.Bound).ThenBy(t => t.Term.Slot)
            .ToArray();
        var start = new long[n];
        var length = new int[n];
        var position = new int[n];
        var weight = new double[n];
        var slot = new int[n];
        // prefix[i]: the most terms 0..i can add together.
        var prefix = new double[n];
        for (var i = 0; i < n; i++)
        {
            start[i] = termStarts[ordered[i].TermIndex];
            length[i] = (int)(termStarts[ordered[i].TermIndex + 1] - start[i]);
            weight[i] = ordered[i].Term.Weight;
            slot[i] = ordered[i].Term.Slot;
            prefix[i] = (i > 0 ? prefix[i - 1] : 0) + ordered[i].Bound;
        }

        var contributions = new double[slots];
        var found = new bool[slots];
        // Terms below firstEssential cannot lift a row into the top k on their own.
        var firstEssential = 0;
        var threshold = double.NegativeInfinity;
        var slack = 0.0;
        RaiseThreshold();
        while (true)
        {
            var row = int.MaxValue;
            for (var i = firstEssential; i < n; i++)
            {
                if (position[i] < length[i])
                {
                    row = Math.Min(row, rows[start[i] + position[i]]);
                }
            }
            if (row == int.MaxValue)
            {
                break;
            }

            var eligible = filter.Allows(row, rowDocuments[row]);
            var partial = 0.0;
            for (var i = firstEssential; i < n; i++)
            {
                var at = start[i] + position[i];
                if (position[i] < length[i] && rows[at] == row)
                {
                    position[i]++;
                    if (eligible)
                    {
                        var contribution = weight[i] * weights[at];
                        contributions[slot[i]] = contribution;
                        found[slot[i]] = true;
                        partial += contribution;
                    }
                }
            }
            if (!eligible)
            {
                continue;
            }

            var pruned = false;
            for (var i = firstEssential - 1; i >= 0; i--)
            {
                if (partial + prefix[i] < threshold - slack)
                {
                    pruned = true;
                    break;
                }
                if (Advance(rows + start[i], length[i], ref position[i], row))
                {
                    var contribution = weight[i] * weights[start[i] + position[i]];
                    contributions[slot[i]] = contribution;
                    found[slot[i]] = true;
                    partial += contribution;
                }
            }

            if (!pruned)
            {
                // The canonical order: what an exhaustive pass adds up, bit for bit.
                var score = 0.0;
                for (var s = 0; s < slots; s++)
                {
                    if (found[s])
                    {
                        score += contributions[s];
                    }
                }
                if (hits.Add(chunkRowIds[row], score))
                {
                    RaiseThreshold();
                }
            }
            Array.Clear(found);
        }

        // The k-th best score so far (hits from elsewhere count too) decides which terms stay essential.
        void RaiseThreshold()
        {
            if (!prune || !hits.IsFull)
            {
                return;
            }
            threshold = hits.Threshold;
            // Rounding differs between bound sums and scores; the slack keeps pruning safe.
            slack = 1e-9 * (1 + Math.Abs(threshold));
            while (firstEssential < n && prefix[firstEssential] < threshold - slack)
            {
                firstEssential++;
            }
        }
    }

    /// <summary>Moves a cursor to the first posting at or after <paramref name="row"/>; true when that posting is the row.</summary>
    private static bool Advance(int* rows, int length, ref int position, int row)
    {
        if (position >= length)
        {
            return false;
        }
        if (rows[position] < row)
        {
            // Gallop, then binary search the last step.
            var step = 1;
            var low = position;
            while (low + step < length && rows[low + step] < row)
            {
                low += step;
                step *= 2;
            }
            var high = Math.Min(low + step, length);
            low++;
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (rows[middle] < row)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }
            position = low;
        }
        return position < length && rows[position] == row;
    }
}

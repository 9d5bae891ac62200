using System.Numerics;
using System.Runtime.CompilerServices;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>A query term as lexical search weighs it: query weight × idf, and its place in the order scores are summed in.</summary>
/// <param name="Slot">Position in the canonical order (weight descending, then term id), in which every chunk's score is summed.</param>
internal readonly record struct WeightedTerm(uint Term, double Weight, int Slot);

/// <summary>
/// How long postings lists are cut into blocks of <see cref="Size"/> postings, each with its last
/// row and largest weight in the index file: a search bounds what a list can add within a range of
/// rows by the blocks that overlap it, far below the list's largest weight for most ranges.
/// </summary>
internal static class PostingBlocks
{
    public const int Size = 64;

    /// <summary>Shorter lists have no blocks: their largest weight bounds them, and their few rows are read directly.</summary>
    public const int MinimumPostings = 2 * Size;

    /// <summary>The blocks of a list of <paramref name="postings"/> postings.</summary>
    public static int For(long postings) => postings >= MinimumPostings ? (int)((postings + Size - 1) / Size) : 0;
}

/// <summary>
/// The lexical half of an index file: for each term, the rows that hold it (ascending) and their
/// stored weights, with the largest weight per term and per block of postings
/// (<see cref="PostingBlocks"/>). Top-k search is block-max MaxScore over windows of rows: in each
/// window every list is bounded by its blocks there; the weakest lists, which together cannot lift
/// a row to the k-th best score, are "non-essential"; the others are added up term at a time into
/// the window's accumulators; each row they found is then checked against the non-essential lists
/// (by galloping search), strongest first, and dropped as soon as even all its remaining terms
/// could not lift it into the top k. A window where no list is essential is skipped whole, so a
/// long list of a weak term (a Chinese question's backoff words) is mostly never read. Every row
/// that can enter the top k is scored again over its terms in the canonical order, so scores (and
/// ties) are exactly those of an exhaustive BM25 pass.
/// </summary>
internal sealed unsafe class IndexedPostings
{
    /// <summary>Rows per window: the accumulators (8 bytes a row) stay in the core's cache, and the windows' bounds stay tight.</summary>
    internal const int WindowRows = 4096;

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
    public void Search(IReadOnlyList<(int TermIndex, WeightedTerm Term)> terms, RowFilter filter, bool prune, RankedHits hits)
    {
        var n = terms.Count;
        if (n == 0)
        {
            return;
        }
        var rows = _file.Pointer<int>(IndexSection.PostingRows);
        var weights = _file.Pointer<float>(IndexSection.PostingWeights);
        var chunkRowIds = _file.Pointer<long>(IndexSection.ChunkRowIds);
        var rowDocuments = _file.Pointer<int>(IndexSection.RowDocuments);
        var blockLastRows = _file.Pointer<int>(IndexSection.BlockLastRows);
        var blockMaxima = _file.Pointer<float>(IndexSection.BlockMaxWeights);
        var totalRows = _file.Header.Rows;
        var checkRows = !filter.AllowsAll;
        var allowedRanges = AllowedRangesOfWindows(filter.AllowedDocuments, totalRows);

        // Lists in the canonical order (the order exact scores are summed in).
        var lists = OpenLists(terms);
        // The window's lists that hold a row in it, weakest bound first; prefix[j]: the most lists order[0..j] can add together.
        var order = new int[n];
        var prefix = new double[n];
        var accumulators = new double[WindowRows];
        var touched = new ulong[WindowRows / 64];

        // The k-th best score so far (hits from elsewhere count too), less a slack for rounding:
        // bounds and scores are summed in different orders.
        var keep = double.NegativeInfinity;
        var cut = double.NegativeInfinity;
        RaiseThreshold();

        for (var low = 0; low < totalRows; low += WindowRows)
        {
            // The rows of the window searched: all of them, or those from the first to the last row of an allowed document.
            var from = low;
            var high = Math.Min(low + WindowRows, totalRows);
            if (allowedRanges is not null)
            {
                var (first, last) = allowedRanges[low / WindowRows];
                if (first > last)
                {
                    // The cursors stay behind: they are lower bounds, and a later window moves them on.
                    continue;
                }
                (from, high) = (first, last + 1);
            }
            var active = 0;
            var exhausted = 0;
            for (var i = 0; i < n; i++)
            {
                ref var list = ref lists[i];
                list.Role = WindowBound(ref list, from, high, rows, blockLastRows, blockMaxima);
                if (list.Role == ListRole.Exhausted)
                {
                    exhausted++;
                }
                else if (list.Role == ListRole.NonEssential)
                {
                    order[active++] = i;
                }
            }
            if (exhausted == n)
            {
                break;
            }
            SortByBound(order, active, lists);
            var sum = 0.0;
            for (var j = 0; j < active; j++)
            {
                sum += lists[order[j]].Bound;
                prefix[j] = sum;
            }
            // Non-essential: the weakest lists, which together cannot reach the k-th best score.
            var nonEssential = 0;
            while (nonEssential < active && prefix[nonEssential] < cut)
            {
                nonEssential++;
            }
            if (nonEssential == active)
            {
                continue;
            }

            // The essential lists, term at a time into the window's accumulators.
            for (var j = nonEssential; j < active; j++)
            {
                ref var list = ref lists[order[j]];
                list.Role = ListRole.Essential;
                var listRows = rows + list.Start;
                var listWeights = weights + list.Start;
                Advance(listRows, list.Length, ref list.Position, from);
                list.WindowBegin = list.Position;
                var weight = list.Weight;
                var position = list.Position;
                while (position < list.Length && listRows[position] < high)
                {
                    var offset = listRows[position] - low;
                    accumulators[offset] += weight * listWeights[position];
                    touched[offset >> 6] |= 1UL << offset;
                    position++;
                }
                list.Position = list.WindowEnd = position;
            }

            // The rows they found, in row order, against the non-essential lists.
            for (var word = 0; word < touched.Length; word++)
            {
                var bits = touched[word];
                if (bits == 0)
                {
                    continue;
                }
                touched[word] = 0;
                while (bits != 0)
                {
                    var offset = (word << 6) + BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    var row = low + offset;
                    var score = accumulators[offset];
                    accumulators[offset] = 0;
                    if (checkRows && !filter.Allows(row, rowDocuments[row]))
                    {
                        continue;
                    }
                    var pruned = false;
                    for (var j = nonEssential - 1; j >= 0; j--)
                    {
                        if (score + prefix[j] < cut)
                        {
                            pruned = true;
                            break;
                        }
                        ref var list = ref lists[order[j]];
                        if (Advance(rows + list.Start, list.Length, ref list.Position, row))
                        {
                            score += list.Weight * weights[list.Start + list.Position];
                        }
                    }
                    // With every weight ≥ 0 the sum is within rounding of the exact score: rows below the k-th best are not scored again.
                    if (pruned || (prune && score < keep))
                    {
                        continue;
                    }
                    if (hits.Add(chunkRowIds[row], ExactScore(lists, row, rows, weights)))
                    {
                        RaiseThreshold();
                    }
                }
            }
        }

        void RaiseThreshold()
        {
            if (!hits.IsFull)
            {
                return;
            }
            var threshold = hits.Threshold;
            // Rounding differs between bound sums and scores; the slack keeps pruning safe.
            keep = threshold - 1e-9 * (1 + Math.Abs(threshold));
            cut = prune ? keep : double.NegativeInfinity;
        }
    }

    /// <summary>
    /// For a search filtered to some documents, the first and last row of an allowed document in
    /// each window (first &gt; last: none). A document's rows are ascending and nearly always
    /// consecutive, so a 1% filter leaves a few hundred rows of a window to search, or none.
    /// Null when every document is allowed.
    /// </summary>
    private (int First, int Last)[]? AllowedRangesOfWindows(bool[]? allowedDocuments, int totalRows)
    {
        if (allowedDocuments is null)
        {
            return null;
        }
        var starts = _file.Pointer<int>(IndexSection.DocumentRowStarts);
        var documentRows = _file.Pointer<int>(IndexSection.DocumentRows);
        var ranges = new (int First, int Last)[(totalRows + WindowRows - 1) / WindowRows];
        Array.Fill(ranges, (int.MaxValue, -1));
        for (var document = 0; document < allowedDocuments.Length; document++)
        {
            if (!allowedDocuments[document] || starts[document + 1] == starts[document])
            {
                continue;
            }
            // Rows are grouped by document in row order when the file is built.
            var (first, last) = (documentRows[starts[document]], documentRows[starts[document + 1] - 1]);
            for (var window = first / WindowRows; window <= last / WindowRows; window++)
            {
                ref var range = ref ranges[window];
                range.First = Math.Min(range.First, Math.Max(first, window * WindowRows));
                range.Last = Math.Max(range.Last, Math.Min(last, (window + 1) * WindowRows - 1));
            }
        }
        return ranges;
    }

    private enum ListRole : byte
    {
        /// <summary>No row left at or after the window.</summary>
        Exhausted,
        /// <summary>No row in the window.</summary>
        Absent,
        /// <summary>Rows in the window may hold it; only rows the essential lists found look it up.</summary>
        NonEssential,
        /// <summary>Its rows in the window were added into the accumulators.</summary>
        Essential,
    }

    /// <summary>One query term's postings list and where a search stands in it.</summary>
    private struct PostingList
    {
        public long Start;
        public int Length;
        /// <summary>The first posting not passed yet (a lower bound for non-essential lists, moved by lookups).</summary>
        public int Position;
        public double Weight;
        public double MaxContribution;
        public int FirstBlock;
        public int EndBlock;
        /// <summary>The first block that may hold a row at or after the window.</summary>
        public int Block;
        /// <summary>The most the list adds to a row of the window.</summary>
        public double Bound;
        /// <summary>An essential list's postings in the window.</summary>
        public int WindowBegin;
        public int WindowEnd;
        public ListRole Role;
    }

    private PostingList[] OpenLists(IReadOnlyList<(int TermIndex, WeightedTerm Term)> terms)
    {
        var termStarts = _file.Pointer<long>(IndexSection.TermStarts);
        var maxWeights = _file.Pointer<float>(IndexSection.TermMaxWeights);
        var termBlockStarts = _file.Pointer<int>(IndexSection.TermBlockStarts);
        var lists = new PostingList[terms.Count];
        var i = 0;
        foreach (var (termIndex, term) in terms.OrderBy(t => t.Term.Slot))
        {
            lists[i++] = new PostingList
            {
                Start = termStarts[termIndex],
                Length = (int)(termStarts[termIndex + 1] - termStarts[termIndex]),
                Weight = term.Weight,
                MaxContribution = term.Weight * maxWeights[termIndex],
                FirstBlock = termBlockStarts[termIndex],
                EndBlock = termBlockStarts[termIndex + 1],
                Block = termBlockStarts[termIndex],
            };
        }
        return lists;
    }

    /// <summary>Whether the list may hold rows of [<paramref name="low"/>, <paramref name="high"/>), and (in <see cref="PostingList.Bound"/>) the most it adds to one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ListRole WindowBound(ref PostingList list, int low, int high, int* rows, int* blockLastRows, float* blockMaxima)
    {
        if (list.Position >= list.Length)
        {
            return ListRole.Exhausted;
        }
        if (list.EndBlock == list.FirstBlock)
        {
            // A short list: its next row says whether it is in the window.
            Advance(rows + list.Start, list.Length, ref list.Position, low);
            if (list.Position >= list.Length)
            {
                return ListRole.Exhausted;
            }
            list.Bound = list.MaxContribution;
            return rows[list.Start + list.Position] < high ? ListRole.NonEssential : ListRole.Absent;
        }
        while (list.Block < list.EndBlock && blockLastRows[list.Block] < low)
        {
            list.Block++;
        }
        if (list.Block == list.EndBlock)
        {
            return ListRole.Exhausted;
        }
        // The blocks from the first that ends in or after the window to the first that ends at or after its last row.
        var most = blockMaxima[list.Block];
        for (var block = list.Block; block + 1 < list.EndBlock && blockLastRows[block] < high - 1; block++)
        {
            most = Math.Max(most, blockMaxima[block + 1]);
        }
        list.Bound = list.Weight * most;
        return ListRole.NonEssential;
    }

    /// <summary>Insertion sort of the window's lists by bound, ascending (few lists, nearly in order from the window before).</summary>
    private static void SortByBound(int[] order, int count, PostingList[] lists)
    {
        for (var j = 1; j < count; j++)
        {
            var item = order[j];
            var bound = lists[item].Bound;
            var at = j - 1;
            while (at >= 0 && lists[order[at]].Bound > bound)
            {
                order[at + 1] = order[at];
                at--;
            }
            order[at + 1] = item;
        }
    }

    /// <summary>The row's score summed over its terms in the canonical order: what an exhaustive pass adds up, bit for bit.</summary>
    private static double ExactScore(PostingList[] lists, int row, int* rows, float* weights)
    {
        var score = 0.0;
        foreach (ref readonly var list in lists.AsSpan())
        {
            var at = -1L;
            if (list.Role == ListRole.Essential)
            {
                var found = new ReadOnlySpan<int>(rows + list.Start + list.WindowBegin, list.WindowEnd - list.WindowBegin).BinarySearch(row);
                at = found >= 0 ? list.Start + list.WindowBegin + found : -1;
            }
            else if (list.Role == ListRole.NonEssential && list.Position < list.Length && rows[list.Start + list.Position] == row)
            {
                at = list.Start + list.Position;
            }
            if (at >= 0)
            {
                score += list.Weight * weights[at];
            }
        }
        return score;
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

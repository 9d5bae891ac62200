using System.Globalization;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>What lexical scoring needs to know about the whole store.</summary>
/// <param name="Chunks">N of the IDF.</param>
/// <param name="MaxWeight">No stored weight exceeds this (it only ever grows), which bounds each term's contribution.</param>
/// <param name="NonNegative">Whether every stored weight is ≥ 0, which makes partial sums lower bounds.</param>
internal sealed record LexicalStatistics(long Chunks, double MaxWeight, bool NonNegative);

/// <summary>
/// BM25 over the postings table: score = Σ query weight · idf · stored weight, the stored weight
/// being BM25's term-frequency part (see <see cref="Bm25SparseEncoder"/>) and
/// idf = ln(1 + (N − df + 0.5) / (df + 0.5)) from this store's own counts, N its number of chunks.
/// Scores add up in memory from each term's postings (read through the (term, chunk) key), rare
/// terms first. Common terms are where the time goes and add little, so once the best chunks so
/// far cannot be overtaken by a chunk holding only the remaining terms (max-score pruning), those
/// terms are looked up for the remaining candidates only. The result is the exact BM25 top k.
/// </summary>
internal sealed class LexicalSearcher
{
    private const int LookupBatch = 500;
    private readonly Dictionary<uint, double> _termWeights = [];

    private LexicalSearcher()
    {
    }

    /// <summary>The ranked chunks, best first.</summary>
    public List<(long ChunkRowId, double Score)> Ranked { get; private set; } = [];

    /// <summary>
    /// Scores the chunks that hold query terms (only those in <paramref name="allowedChunks"/> when given)
    /// and keeps the best <paramref name="top"/>.
    /// </summary>
    public static async Task<LexicalSearcher> SearchAsync(
        SqliteConnection connection, SparseVector query, LexicalStatistics statistics, int top, IReadOnlySet<long>? allowedChunks, CancellationToken cancellationToken)
    {
        var searcher = new LexicalSearcher();
        if (query.Count == 0 || statistics.Chunks == 0 || top <= 0)
        {
            return searcher;
        }
        var terms = await WeighTermsAsync(connection, query, statistics.Chunks, cancellationToken).ConfigureAwait(false);
        foreach (var term in terms)
        {
            searcher._termWeights[term.Term] = term.Weight;
        }
        var canPrune = statistics.NonNegative && double.IsFinite(statistics.MaxWeight) && terms.All(t => t.Weight > 0);
        // Most valuable first: rare terms have high idf and short postings.
        var ordered = terms.OrderByDescending(t => t.Weight).ToList();
        var remainingBound = canPrune ? ordered.Sum(t => t.Weight) * statistics.MaxWeight : double.PositiveInfinity;

        var scores = new Dictionary<long, double>();
        var next = 0;
        for (; next < ordered.Count; next++)
        {
            if (canPrune && scores.Count >= top && KthBest(scores, top) >= remainingBound)
            {
                break;
            }
            var (term, weight) = ordered[next];
            await AddPostingsAsync(connection, term, weight, scores, allowedChunks, cancellationToken).ConfigureAwait(false);
            remainingBound -= weight * statistics.MaxWeight;
        }
        if (next < ordered.Count)
        {
            // No chunk outside the candidates can reach the top: finish the candidates that still can.
            var threshold = KthBest(scores, top);
            var candidates = scores.Where(s => s.Value + remainingBound >= threshold).Select(s => s.Key).ToList();
            for (; next < ordered.Count; next++)
            {
                var (term, weight) = ordered[next];
                await AddPostingsAsync(connection, term, weight, scores, candidates, cancellationToken).ConfigureAwait(false);
            }
            foreach (var rowId in scores.Keys.Except(candidates).ToList())
            {
                scores.Remove(rowId);
            }
        }
        searcher.Ranked = TopOf(scores, top);
        return searcher;
    }

    /// <summary>The BM25 scores of given chunks (those matching no query term are absent), with this search's idf.</summary>
    public async Task<Dictionary<long, double>> ScoreAsync(SqliteConnection connection, IReadOnlyList<long> chunkRowIds, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<long, double>();
        foreach (var (term, weight) in _termWeights)
        {
            await AddPostingsAsync(connection, term, weight, scores, chunkRowIds, cancellationToken).ConfigureAwait(false);
        }
        return scores;
    }

    /// <summary>The query's terms that occur in the store, each weighted by its query weight times its idf.</summary>
    private static async Task<List<(uint Term, double Weight)>> WeighTermsAsync(
        SqliteConnection connection, SparseVector query, long chunkCount, CancellationToken cancellationToken)
    {
        var queryWeights = new Dictionary<uint, double>(query.Count);
        for (var i = 0; i < query.Count; i++)
        {
            queryWeights[query.Indices[i]] = queryWeights.GetValueOrDefault(query.Indices[i]) + query.Values[i];
        }
        await using var command = connection.CreateCommand();
        var names = new List<string>(queryWeights.Count);
        foreach (var term in queryWeights.Keys)
        {
            var name = "@t" + names.Count.ToString(CultureInfo.InvariantCulture);
            names.Add(name);
            command.Parameters.AddWithValue(name, (long)term);
        }
        // Counting in SQLite walks the index without handing each row to .NET: cheap even for common terms.
        command.CommandText = $"SELECT term, COUNT(*) FROM postings WHERE term IN ({string.Join(", ", names)}) GROUP BY term";
        var weighted = new List<(uint, double)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var term = (uint)reader.GetInt64(0);
            var documentFrequency = reader.GetInt64(1);
            // Document frequency is global (filters do not change it), as in Qdrant's IDF modifier.
            var idf = Math.Log(1 + (chunkCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
            weighted.Add((term, queryWeights[term] * idf));
        }
        return weighted;
    }

    /// <summary>Adds a term's contribution for all its chunks (filtered by <paramref name="allowed"/>).</summary>
    private static async Task AddPostingsAsync(
        SqliteConnection connection, uint term, double weight, Dictionary<long, double> scores, IReadOnlySet<long>? allowed, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT chunk_rowid, weight FROM postings WHERE term = @term";
        command.Parameters.AddWithValue("@term", (long)term);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var rowId = reader.GetInt64(0);
            if (allowed is null || allowed.Contains(rowId))
            {
                scores[rowId] = scores.GetValueOrDefault(rowId) + weight * reader.GetDouble(1);
            }
        }
    }

    /// <summary>Adds a term's contribution for the given chunks only, by key lookups.</summary>
    private static async Task AddPostingsAsync(
        SqliteConnection connection, uint term, double weight, Dictionary<long, double> scores, IReadOnlyList<long> chunkRowIds, CancellationToken cancellationToken)
    {
        for (var start = 0; start < chunkRowIds.Count; start += LookupBatch)
        {
            var batch = chunkRowIds.Skip(start).Take(LookupBatch);
            await using var command = connection.CreateCommand();
            // Row ids are integers we produced, so inlining them is safe.
            command.CommandText = "SELECT chunk_rowid, weight FROM postings WHERE term = @term AND chunk_rowid IN ("
                + string.Join(", ", batch.Select(id => id.ToString(CultureInfo.InvariantCulture))) + ")";
            command.Parameters.AddWithValue("@term", (long)term);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var rowId = reader.GetInt64(0);
                scores[rowId] = scores.GetValueOrDefault(rowId) + weight * reader.GetDouble(1);
            }
        }
    }

    private static double KthBest(Dictionary<long, double> scores, int k)
    {
        var heap = new PriorityQueue<double, double>(k + 1);
        foreach (var score in scores.Values)
        {
            if (heap.Count < k)
            {
                heap.Enqueue(score, score);
            }
            else if (score > heap.Peek())
            {
                heap.EnqueueDequeue(score, score);
            }
        }
        return heap.Count < k ? double.NegativeInfinity : heap.Peek();
    }

    /// <summary>The best scores, ties broken by the earlier chunk so results are deterministic.</summary>
    private static List<(long ChunkRowId, double Score)> TopOf(Dictionary<long, double> scores, int top)
    {
        var heap = new PriorityQueue<long, (double Score, long RowId)>(top + 1, WorstFirst.Instance);
        foreach (var (rowId, score) in scores)
        {
            if (heap.Count < top)
            {
                heap.Enqueue(rowId, (score, rowId));
            }
            else
            {
                heap.TryPeek(out _, out var worst);
                if (WorstFirst.Instance.Compare((score, rowId), worst) > 0)
                {
                    heap.EnqueueDequeue(rowId, (score, rowId));
                }
            }
        }
        var ranked = new List<(long, double)>(heap.Count);
        while (heap.TryDequeue(out var rowId, out var priority))
        {
            ranked.Add((rowId, priority.Score));
        }
        ranked.Reverse();
        return ranked;
    }

    /// <summary>Orders (score, row id) so the worst result comes first: lower score, then later row.</summary>
    private sealed class WorstFirst : IComparer<(double Score, long RowId)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((double Score, long RowId) x, (double Score, long RowId) y) =>
            x.Score != y.Score ? x.Score.CompareTo(y.Score) : y.RowId.CompareTo(x.RowId);
    }
}

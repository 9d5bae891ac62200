using System.Globalization;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// BM25 over the postings table: score = Σ query weight · idf · stored weight, the stored weight
/// being BM25's term-frequency part (see <see cref="Bm25SparseEncoder"/>) and
/// idf = ln(1 + (N − df + 0.5) / (df + 0.5)) from this store's own counts, N its number of chunks.
/// Each query term's postings are read once through the (term, chunk) key: their count is the
/// term's document frequency, and the scores add up in memory, which is several times faster
/// than letting SQLite group and sort the joined rows.
/// </summary>
internal sealed class LexicalSearcher
{
    private readonly Dictionary<uint, double> _termWeights = [];

    private LexicalSearcher()
    {
    }

    /// <summary>The ranked chunks, best first.</summary>
    public List<(long ChunkRowId, double Score)> Ranked { get; private set; } = [];

    /// <summary>
    /// Scores every chunk that holds a query term (only those in <paramref name="allowedChunks"/> when given)
    /// and keeps the best <paramref name="top"/>.
    /// </summary>
    public static async Task<LexicalSearcher> SearchAsync(
        SqliteConnection connection, SparseVector query, long chunkCount, int top, IReadOnlySet<long>? allowedChunks, CancellationToken cancellationToken)
    {
        var searcher = new LexicalSearcher();
        if (query.Count == 0 || chunkCount == 0)
        {
            return searcher;
        }
        var scores = new Dictionary<long, double>();
        var rowIds = new List<long>();
        var weights = new List<double>();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT chunk_rowid, weight FROM postings WHERE term = @term";
        var termParameter = command.Parameters.Add("@term", SqliteType.Integer);
        foreach (var (term, queryWeight) in MergeTerms(query))
        {
            rowIds.Clear();
            weights.Clear();
            termParameter.Value = (long)term;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rowIds.Add(reader.GetInt64(0));
                    weights.Add(reader.GetDouble(1));
                }
            }
            if (rowIds.Count == 0)
            {
                continue;
            }
            // Document frequency is global (filters do not change it), as in Qdrant's IDF modifier.
            var documentFrequency = rowIds.Count;
            var termWeight = queryWeight * Math.Log(1 + (chunkCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
            searcher._termWeights[term] = termWeight;
            for (var i = 0; i < rowIds.Count; i++)
            {
                if (allowedChunks is null || allowedChunks.Contains(rowIds[i]))
                {
                    scores[rowIds[i]] = scores.GetValueOrDefault(rowIds[i]) + termWeight * weights[i];
                }
            }
        }
        searcher.Ranked = TopOf(scores, top);
        return searcher;
    }

    /// <summary>The BM25 scores of given chunks (those matching no query term are absent), using this search's idf.</summary>
    public async Task<Dictionary<long, double>> ScoreAsync(SqliteConnection connection, IReadOnlyCollection<long> chunkRowIds, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<long, double>();
        if (_termWeights.Count == 0 || chunkRowIds.Count == 0)
        {
            return scores;
        }
        await using var command = connection.CreateCommand();
        // Row ids are integers we produced, so inlining them is safe.
        command.CommandText = "SELECT chunk_rowid, weight FROM postings WHERE term = @term AND chunk_rowid IN ("
            + string.Join(", ", chunkRowIds.Select(id => id.ToString(CultureInfo.InvariantCulture))) + ")";
        var termParameter = command.Parameters.Add("@term", SqliteType.Integer);
        foreach (var (term, termWeight) in _termWeights)
        {
            termParameter.Value = (long)term;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var rowId = reader.GetInt64(0);
                scores[rowId] = scores.GetValueOrDefault(rowId) + termWeight * reader.GetDouble(1);
            }
        }
        return scores;
    }

    private static Dictionary<uint, double> MergeTerms(SparseVector query)
    {
        var merged = new Dictionary<uint, double>(query.Count);
        for (var i = 0; i < query.Count; i++)
        {
            merged[query.Indices[i]] = merged.GetValueOrDefault(query.Indices[i]) + query.Values[i];
        }
        return merged;
    }

    /// <summary>The best scores, ties broken by the earlier chunk so results are deterministic.</summary>
    private static List<(long ChunkRowId, double Score)> TopOf(Dictionary<long, double> scores, int top)
    {
        var heap = new PriorityQueue<long, (double Score, long Tiebreak)>(top + 1, WorstFirst.Instance);
        foreach (var (rowId, score) in scores)
        {
            if (heap.Count < top)
            {
                heap.Enqueue(rowId, (score, rowId));
            }
            else if (WorstFirst.Instance.Compare((score, rowId), PeekPriority(heap)) > 0)
            {
                heap.EnqueueDequeue(rowId, (score, rowId));
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

    private static (double, long) PeekPriority(PriorityQueue<long, (double Score, long Tiebreak)> heap)
    {
        heap.TryPeek(out _, out var priority);
        return priority;
    }

    /// <summary>Orders (score, row id) so the worst result comes first: lower score, then later row.</summary>
    private sealed class WorstFirst : IComparer<(double Score, long Tiebreak)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((double Score, long Tiebreak) x, (double Score, long Tiebreak) y) =>
            x.Score != y.Score ? x.Score.CompareTo(y.Score) : y.Tiebreak.CompareTo(x.Tiebreak);
    }
}

using System.Globalization;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// Reciprocal rank fusion: each list gives an item 1 / (k + rank), rank counted from 1, and the
/// sums order the fused list. Ranks only, so cosine and BM25 scores need no common scale.
/// </summary>
/// <remarks>
/// Fusion makes many exact ties (an item first in one list and second in the other scores the
/// same as one second and first). They are broken by chunk id, ordinal, the rule the Qdrant store
/// applies too, so both stores return the same order for the same chunks; the row id, which
/// depends on the order chunks were written in, only separates items whose chunk id is unknown.
/// </remarks>
internal static class ReciprocalRankFusion
{
    /// <summary>The fused list, best first, ties in row-id order (the caller breaks them by chunk id).</summary>
    public static List<(long Item, double Score)> Fuse(int k, params IReadOnlyList<long>[] rankings)
    {
        var scores = new Dictionary<long, double>();
        foreach (var ranking in rankings)
        {
            for (var i = 0; i < ranking.Count; i++)
            {
                scores[ranking[i]] = scores.GetValueOrDefault(ranking[i]) + 1.0 / (k + i + 1);
            }
        }
        var fused = scores.Select(pair => (pair.Key, pair.Value)).ToList();
        fused.Sort(static (a, b) => b.Value != a.Value ? b.Value.CompareTo(a.Value) : a.Key.CompareTo(b.Key));
        return fused;
    }

    /// <summary>
    /// Fuses the rankings of chunk row ids and orders ties among the first <paramref name="top"/>
    /// by chunk id, read from <paramref name="connection"/> for those tied rows only (further down
    /// the order of ties changes nothing that is returned).
    /// </summary>
    public static async Task<List<(long Item, double Score)>> FuseAsync(
        SqliteConnection connection, int k, IReadOnlyList<long> dense, IReadOnlyList<long> lexical, int top, CancellationToken cancellationToken)
    {
        var fused = Fuse(k, dense, lexical);
        var tied = TiedItems(fused, top);
        if (tied.Count == 0)
        {
            return fused;
        }
        var chunkIds = await ReadChunkIdsAsync(connection, tied, cancellationToken).ConfigureAwait(false);
        BreakTies(fused, chunkIds);
        return fused;
    }

    /// <summary>Orders items of equal score by chunk id (ordinal), then by row id; scores keep their order.</summary>
    public static void BreakTies(List<(long Item, double Score)> fused, IReadOnlyDictionary<long, string> chunkIds) =>
        fused.Sort((a, b) =>
        {
            if (b.Score != a.Score)
            {
                return b.Score.CompareTo(a.Score);
            }
            var byChunkId = string.CompareOrdinal(chunkIds.GetValueOrDefault(a.Item), chunkIds.GetValueOrDefault(b.Item));
            return byChunkId != 0 ? byChunkId : a.Item.CompareTo(b.Item);
        });

    /// <summary>
    /// The items of the (score-sorted) list that share their score with a neighbour and score at
    /// least as much as the <paramref name="top"/>-th item: the ties that decide which items are
    /// returned and in what order. An item ranked only by one list ties with the item of the same
    /// rank in the other list alone, so a hybrid list of 100 holds dozens of ties, nearly all of
    /// them below the cut.
    /// </summary>
    internal static List<long> TiedItems(List<(long Item, double Score)> fused, int top)
    {
        var tied = new List<long>();
        if (fused.Count == 0 || top <= 0)
        {
            return tied;
        }
        var cut = fused[Math.Min(top, fused.Count) - 1].Score;
        for (var i = 0; i < fused.Count && fused[i].Score >= cut; i++)
        {
            if ((i > 0 && fused[i - 1].Score == fused[i].Score) || (i + 1 < fused.Count && fused[i + 1].Score == fused[i].Score))
            {
                tied.Add(fused[i].Item);
            }
        }
        return tied;
    }

    private static async Task<Dictionary<long, string>> ReadChunkIdsAsync(SqliteConnection connection, IReadOnlyCollection<long> rowIds, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<long, string>(rowIds.Count);
        await using var command = connection.CreateCommand();
        // Row ids are integers the index produced, so inlining them is safe.
        command.CommandText = $"SELECT rowid, id FROM chunks WHERE rowid IN ({string.Join(", ", rowIds.Select(id => id.ToString(CultureInfo.InvariantCulture)))})";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids[reader.GetInt64(0)] = reader.GetString(1);
        }
        return ids;
    }
}

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
    /// Fuses the rankings of chunk row ids and orders ties by chunk id, read from
    /// <paramref name="connection"/> for the tied rows only (usually a handful).
    /// </summary>
    public static async Task<List<(long Item, double Score)>> FuseAsync(
        SqliteConnection connection, int k, IReadOnlyList<long> dense, IReadOnlyList<long> lexical, CancellationToken cancellationToken)
    {
        var fused = Fuse(k, dense, lexical);
        var tied = TiedItems(fused);
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

    /// <summary>The items that share their score with a neighbour of the (score-sorted) list.</summary>
    internal static List<long> TiedItems(List<(long Item, double Score)> fused)
    {
        var tied = new List<long>();
        for (var i = 0; i < fused.Count; i++)
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

using System.Globalization;
using System.Numerics.Tensors;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// Exact cosines from the stored float32 vectors, for the few chunks whose score a search reports:
/// the candidates the index file proposes, and the fused hits only the lexical side found. The
/// arithmetic is <see cref="DenseIndex"/>'s (normalise, then dot), so a chunk scores the same
/// whichever way it was found.
/// </summary>
internal static class ExactVectors
{
    /// <summary>The best <paramref name="depth"/> of the exact hits and the rescored file candidates, best first (ties: the earlier chunk).</summary>
    public static async Task<List<(long ChunkRowId, float Score)>> RescoreAsync(
        SqliteConnection connection, DenseCandidates candidates, float[] normalizedQuery, int depth, CancellationToken cancellationToken)
    {
        if (candidates.FromFile.Length == 0)
        {
            return [.. candidates.Exact];
        }
        var merged = new List<(long ChunkRowId, float Score)>(candidates.Exact.Length + candidates.FromFile.Length);
        merged.AddRange(candidates.Exact);
        // A candidate deleted since the index was read has no row any more and drops out.
        foreach (var (chunkRowId, score) in await ScoreStoredAsync(connection, candidates.FromFile, normalizedQuery, cancellationToken).ConfigureAwait(false))
        {
            merged.Add((chunkRowId, score));
        }
        merged.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.ChunkRowId.CompareTo(b.ChunkRowId));
        if (merged.Count > depth)
        {
            merged.RemoveRange(depth, merged.Count - depth);
        }
        return merged;
    }

    /// <summary>Cosines of given chunks: from memory for recent ones, from the stored vectors for the rest.</summary>
    public static async Task<Dictionary<long, float>> ScoreAsync(
        SqliteConnection connection, SearchIndexHost index, IReadOnlyList<long> chunkRowIds, float[] normalizedQuery, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<long, float>();
        var stored = index.Read(i =>
        {
            var rest = new List<long>();
            foreach (var id in chunkRowIds)
            {
                if (i.ScoreRecent(id, normalizedQuery) is { } score)
                {
                    scores[id] = score;
                }
                else if (i.IsInFile(id))
                {
                    rest.Add(id);
                }
            }
            return rest;
        });
        foreach (var (id, score) in await ScoreStoredAsync(connection, stored, normalizedQuery, cancellationToken).ConfigureAwait(false))
        {
            scores[id] = score;
        }
        return scores;
    }

    private static async Task<List<(long ChunkRowId, float Score)>> ScoreStoredAsync(
        SqliteConnection connection, IReadOnlyCollection<long> chunkRowIds, float[] normalizedQuery, CancellationToken cancellationToken)
    {
        var scores = new List<(long, float)>(chunkRowIds.Count);
        if (chunkRowIds.Count == 0)
        {
            return scores;
        }
        await using var command = connection.CreateCommand();
        // Row ids are integers we produced, so inlining them is safe.
        command.CommandText = $"SELECT rowid, vector FROM chunks WHERE rowid IN ({string.Join(", ", chunkRowIds.Select(id => id.ToString(CultureInfo.InvariantCulture)))})";
        var dimensions = normalizedQuery.Length;
        var bytes = new byte[dimensions * sizeof(float)];
        var vector = new float[dimensions];
        var normalized = new float[dimensions];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var length = reader.GetBytes(1, 0, null, 0, 0);
            IndexChangeLog.CheckVector(connection, reader.GetInt64(0), length, dimensions);
            reader.GetBytes(1, 0, bytes, 0, bytes.Length);
            BlobCodec.DecodeVector(bytes, vector);
            DenseIndex.Normalize(vector, normalized);
            scores.Add((reader.GetInt64(0), TensorPrimitives.Dot(normalized, normalizedQuery)));
        }
        return scores;
    }
}

using System.Globalization;
using System.Text;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// BM25 over the postings table: score = Σ query weight · idf · stored weight, the stored weight
/// being BM25's term-frequency part (see <see cref="Bm25SparseEncoder"/>) and
/// idf = ln(1 + (N − df + 0.5) / (df + 0.5)) from this store's own counts, N its number of chunks.
/// </summary>
internal static class LexicalSearcher
{
    public static async Task<List<(long ChunkRowId, double Score)>> SearchAsync(
        SqliteConnection connection, SparseVector query, long chunkCount, int top, SearchFilterSql? filter, CancellationToken cancellationToken)
    {
        var terms = await WeighTermsAsync(connection, query, chunkCount, cancellationToken).ConfigureAwait(false);
        if (terms.Count == 0 || top <= 0)
        {
            return [];
        }
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder(ScoringQuery(terms, command));
        if (filter is not null)
        {
            sql.Append(" JOIN chunks c ON c.rowid = p.chunk_rowid WHERE c.doc_key IN (").Append(filter.DocumentKeysQuery).Append(')');
            filter.AddParametersTo(command);
        }
        sql.Append(" GROUP BY p.chunk_rowid ORDER BY score DESC, p.chunk_rowid LIMIT @top");
        command.Parameters.AddWithValue("@top", top);
        command.CommandText = sql.ToString();
        return await ReadScoresAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The BM25 scores of given chunks (those matching no query term are absent).</summary>
    public static async Task<Dictionary<long, double>> ScoreAsync(
        SqliteConnection connection, SparseVector query, long chunkCount, IReadOnlyCollection<long> chunkRowIds, CancellationToken cancellationToken)
    {
        var terms = await WeighTermsAsync(connection, query, chunkCount, cancellationToken).ConfigureAwait(false);
        if (terms.Count == 0 || chunkRowIds.Count == 0)
        {
            return [];
        }
        await using var command = connection.CreateCommand();
        command.CommandText = ScoringQuery(terms, command)
            + $" WHERE p.chunk_rowid IN ({string.Join(", ", chunkRowIds.Select(id => id.ToString(CultureInfo.InvariantCulture)))})"
            + " GROUP BY p.chunk_rowid";
        var scores = await ReadScoresAsync(command, cancellationToken).ConfigureAwait(false);
        return scores.ToDictionary(s => s.ChunkRowId, s => s.Score);
    }

    /// <summary>The query's terms that occur in the store, each weighted by its query weight times its idf.</summary>
    private static async Task<List<(uint Term, double Weight)>> WeighTermsAsync(
        SqliteConnection connection, SparseVector query, long chunkCount, CancellationToken cancellationToken)
    {
        if (query.Count == 0 || chunkCount == 0)
        {
            return [];
        }
        await using var command = connection.CreateCommand();
        var names = new string[query.Count];
        for (var i = 0; i < query.Count; i++)
        {
            names[i] = "@t" + i.ToString(CultureInfo.InvariantCulture);
            command.Parameters.AddWithValue(names[i], (long)query.Indices[i]);
        }
        command.CommandText = $"SELECT term, COUNT(*) FROM postings WHERE term IN ({string.Join(", ", names)}) GROUP BY term";
        var queryWeights = new Dictionary<uint, double>(query.Count);
        for (var i = 0; i < query.Count; i++)
        {
            queryWeights[query.Indices[i]] = queryWeights.GetValueOrDefault(query.Indices[i]) + query.Values[i];
        }
        var weighted = new List<(uint, double)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var term = (uint)reader.GetInt64(0);
            var documentFrequency = reader.GetInt64(1);
            var idf = Math.Log(1 + (chunkCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
            weighted.Add((term, queryWeights[term] * idf));
        }
        return weighted;
    }

    /// <summary>
    /// SELECT … FROM the weighted query terms joined to their postings. CROSS JOIN makes SQLite
    /// walk the few query terms and look each up in the postings' (term, chunk) key, never the reverse.
    /// </summary>
    private static string ScoringQuery(List<(uint Term, double Weight)> terms, SqliteCommand command)
    {
        var values = new StringBuilder();
        for (var i = 0; i < terms.Count; i++)
        {
            var suffix = i.ToString(CultureInfo.InvariantCulture);
            values.Append(i == 0 ? "" : ", ").Append("(@qt").Append(suffix).Append(", @qw").Append(suffix).Append(')');
            command.Parameters.AddWithValue("@qt" + suffix, (long)terms[i].Term);
            command.Parameters.AddWithValue("@qw" + suffix, terms[i].Weight);
        }
        return $"WITH q(term, w) AS (VALUES {values}) SELECT p.chunk_rowid, SUM(q.w * p.weight) AS score FROM q CROSS JOIN postings p ON p.term = q.term";
    }

    private static async Task<List<(long ChunkRowId, double Score)>> ReadScoresAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var scores = new List<(long, double)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            scores.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }
        return scores;
    }
}

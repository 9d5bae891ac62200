using System.Globalization;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>Fetches the text and document details of the few chunks a search returns.</summary>
internal static class HitLoader
{
    public static async Task<Dictionary<long, SearchHit>> LoadAsync(SqliteConnection connection, IReadOnlyCollection<long> chunkRowIds, CancellationToken cancellationToken)
    {
        var hits = new Dictionary<long, SearchHit>(chunkRowIds.Count);
        if (chunkRowIds.Count == 0)
        {
            return hits;
        }
        await using var command = connection.CreateCommand();
        // Row ids are integers we produced, so inlining them is safe and keeps the statement simple.
        command.CommandText = $"""
            SELECT c.rowid, {RowMapping.ChunkColumns}, d.source, d.title, d.tags
            FROM chunks c JOIN documents d ON d.doc_key = c.doc_key
            WHERE c.rowid IN ({string.Join(", ", chunkRowIds.Select(id => id.ToString(CultureInfo.InvariantCulture)))})
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        const int after = 1 + RowMapping.ChunkColumnCount;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            hits[reader.GetInt64(0)] = new SearchHit
            {
                Chunk = RowMapping.ReadChunk(reader, 1),
                Source = reader.GetString(after),
                Title = reader.IsDBNull(after + 1) ? null : reader.GetString(after + 1),
                Tags = RowMapping.DeserializeStrings(reader.GetString(after + 2)),
            };
        }
        return hits;
    }
}

using System.Globalization;
using System.Text.Json;
using KnowledgeQa.Retrieval.Chunking;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>Column lists and readers that turn rows back into documents and chunks.</summary>
internal static class RowMapping
{
    public const string DocumentColumns = "d.id, d.source, d.title, d.content_hash, d.tags, d.tenant, d.chunk_count, d.ingested_at, d.source_name, d.file_fingerprint";

    /// <summary>Chunk columns; the document id comes from the joined documents row.</summary>
    public const string ChunkColumns = "c.id, d.id, c.idx, c.text, c.start_offset, c.end_offset, c.headings, c.page, c.token_count";

    public const int ChunkColumnCount = 9;

    public static StoredDocument ReadDocument(SqliteDataReader reader, int first = 0) => new()
    {
        Id = reader.GetString(first),
        Source = reader.GetString(first + 1),
        Title = reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2),
        ContentHash = reader.GetString(first + 3),
        Tags = DeserializeStrings(reader.GetString(first + 4)),
        Tenant = reader.IsDBNull(first + 5) ? null : reader.GetString(first + 5),
        ChunkCount = reader.GetInt32(first + 6),
        IngestedAt = ParseTime(reader.GetString(first + 7)),
        SourceName = reader.IsDBNull(first + 8) ? null : reader.GetString(first + 8),
        FileFingerprint = reader.IsDBNull(first + 9) ? null : reader.GetString(first + 9),
    };

    public static Chunk ReadChunk(SqliteDataReader reader, int first = 0) => new()
    {
        Id = reader.GetString(first),
        DocumentId = reader.GetString(first + 1),
        Index = reader.GetInt32(first + 2),
        Text = reader.GetString(first + 3),
        Start = reader.GetInt32(first + 4),
        End = reader.GetInt32(first + 5),
        Headings = DeserializeStrings(reader.GetString(first + 6)),
        Page = reader.IsDBNull(first + 7) ? null : reader.GetInt32(first + 7),
        TokenCount = reader.GetInt32(first + 8),
    };

    public static string SerializeStrings(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);

    public static string[] DeserializeStrings(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    public static string FormatTime(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

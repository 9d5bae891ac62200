namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// The tables of the store file. The postings table is no longer written (files of version 1
/// written before the search index existed may hold rows in it, which nothing reads): the search
/// index derives postings from each chunk's sparse column (see Index/SearchIndexHost).
/// </summary>
internal static class StoreSchema
{
    public const int Version = 1;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS documents (
            doc_key      INTEGER PRIMARY KEY,
            id           TEXT NOT NULL UNIQUE,
            source       TEXT NOT NULL,
            title        TEXT,
            content_hash TEXT NOT NULL,
            tags         TEXT NOT NULL,
            tenant       TEXT,
            chunk_count  INTEGER NOT NULL,
            ingested_at  TEXT NOT NULL
        );

        CREATE TABLE IF NOT EXISTS document_tags (
            doc_key INTEGER NOT NULL REFERENCES documents(doc_key) ON DELETE CASCADE,
            tag     TEXT NOT NULL,
            PRIMARY KEY (doc_key, tag)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS chunks (
            rowid        INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT NOT NULL UNIQUE,
            doc_key      INTEGER NOT NULL REFERENCES documents(doc_key) ON DELETE CASCADE,
            idx          INTEGER NOT NULL,
            text         TEXT NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset   INTEGER NOT NULL,
            headings     TEXT NOT NULL,
            page         INTEGER,
            token_count  INTEGER NOT NULL,
            vector       BLOB NOT NULL,
            sparse       BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(doc_key, idx);

        CREATE TABLE IF NOT EXISTS postings (
            term        INTEGER NOT NULL,
            chunk_rowid INTEGER NOT NULL,
            weight      REAL NOT NULL,
            PRIMARY KEY (term, chunk_rowid)
        ) WITHOUT ROWID;
        """;

    // Keys of the meta table.
    public const string SchemaVersionKey = "schema_version";
    public const string DimensionsKey = "dimensions";
    public const string EmbeddingModelKey = "embedding_model";
    public const string ChunkCountKey = "chunk_count";
    /// <summary>Bumped by every committed write, so a store instance notices writes made by another process.</summary>
    public const string GenerationKey = "generation";
    /// <summary>The largest and smallest sparse weight ever stored (never narrowed on delete): bounds for pruning lexical search.</summary>
    public const string MaxWeightKey = "max_weight";
    public const string MinWeightKey = "min_weight";
}

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// The tables of the store file. The postings table is no longer written: the search index
/// derives postings from each chunk's sparse column (see Index/SearchIndexHost), and empties the
/// rows files written before it existed hold when it first installs its change log.
/// </summary>
/// <remarks>
/// Version 2 added what keeps a store in step with folders: documents.source_name and
/// documents.file_fingerprint, chunks.text_hash (indexed: vectors are reused by chunk text), the
/// sources, ingest_failures and vector_cache tables. <see cref="MigrateFromVersion1"/> upgrades a
/// version 1 file in place, in one transaction.
/// </remarks>
internal static class StoreSchema
{
    public const int Version = 2;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS documents (
            doc_key          INTEGER PRIMARY KEY,
            id               TEXT NOT NULL UNIQUE,
            source           TEXT NOT NULL,
            title            TEXT,
            content_hash     TEXT NOT NULL,
            tags             TEXT NOT NULL,
            tenant           TEXT,
            chunk_count      INTEGER NOT NULL,
            ingested_at      TEXT NOT NULL,
            source_name      TEXT,
            file_fingerprint TEXT
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
            sparse       BLOB NOT NULL,
            text_hash    TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(doc_key, idx);

        CREATE TABLE IF NOT EXISTS postings (
            term        INTEGER NOT NULL,
            chunk_rowid INTEGER NOT NULL,
            weight      REAL NOT NULL,
            PRIMARY KEY (term, chunk_rowid)
        ) WITHOUT ROWID;
        """ + Version2Tables;

    /// <summary>What version 2 adds beside the version 1 tables (created by both a new file and the migration).</summary>
    private const string Version2Tables = """

        CREATE INDEX IF NOT EXISTS chunks_by_text_hash ON chunks(text_hash);
        CREATE INDEX IF NOT EXISTS documents_by_source ON documents(source_name);

        CREATE TABLE IF NOT EXISTS sources (
            name     TEXT PRIMARY KEY,
            kind     TEXT NOT NULL,
            root     TEXT,
            bound_at TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS ingest_failures (
            document_id TEXT PRIMARY KEY,
            source_name TEXT,
            path        TEXT NOT NULL,
            file_hash   TEXT NOT NULL,
            reason      TEXT NOT NULL,
            failed_at   TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ingest_failures_by_source ON ingest_failures(source_name);

        -- Vectors of deleted chunks, newest last (seq), trimmed to EmbeddedStoreOptions.DeletedVectorCacheSize:
        -- a document deleted in one run and added back in a later one is not embedded again.
        CREATE TABLE IF NOT EXISTS vector_cache (
            seq       INTEGER PRIMARY KEY AUTOINCREMENT,
            text_hash TEXT NOT NULL UNIQUE,
            vector    BLOB NOT NULL
        );
        """;

    /// <summary>
    /// Version 1 to 2: new columns (text hashes filled by the kqa_text_hash function the store
    /// registers on the connection), then the new tables and indexes.
    /// </summary>
    public const string MigrateFromVersion1 = $"""
        ALTER TABLE documents ADD COLUMN source_name TEXT;
        ALTER TABLE documents ADD COLUMN file_fingerprint TEXT;
        ALTER TABLE chunks ADD COLUMN text_hash TEXT NOT NULL DEFAULT '';
        UPDATE chunks SET text_hash = {TextHashFunction}(text);
        {Version2Tables}
        UPDATE meta SET value = '2' WHERE key = '{SchemaVersionKey}';
        """;

    /// <summary>The SQL function (registered per connection) that computes <see cref="ChunkTextHash"/>.</summary>
    public const string TextHashFunction = "kqa_text_hash";

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

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// The tables of the store file. The postings table is no longer written: the search index
/// derives postings from each chunk's sparse column (see Index/SearchIndexHost), and empties the
/// rows files written before it existed hold when it first installs its change log.
/// </summary>
/// <remarks>
/// Version 3 indexes chunks by 64-bit keys of their id and text hash (<see cref="RowKeys"/>, columns
/// id_key and text_key) instead of the 36- and 32-character strings, and no longer makes the id
/// column UNIQUE: the writer checks ids itself, through the key (see DocumentWriter). Those two
/// random indexes, three times their keys' size as strings, were what a bulk write spent most of its
/// bytes on at a million chunks (every batch dirtied most of their pages). New files also get 16 KB
/// pages (a chunk row is about 3 KB: five to a page, a fifth of the write calls). <see cref="MigrateFromVersion2"/>
/// adds the keys to an older file in place; such a file keeps its 4 KB pages and the UNIQUE index its
/// id column was created with (SQLite cannot drop either), so it keeps their write cost.
/// Version 2 added what keeps a store in step with folders: documents.source_name and
/// documents.file_fingerprint, chunks.text_hash (indexed: vectors are reused by chunk text), the
/// sources, ingest_failures and vector_cache tables. <see cref="MigrateFromVersion1"/> upgrades a
/// version 1 file in place, in one transaction.
/// </remarks>
internal static class StoreSchema
{
    public const int Version = 3;

    /// <summary>The page size of new files (set before the first table; an existing file keeps its own).</summary>
    public const int PageSize = 16 * 1024;

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
            id           TEXT NOT NULL,
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
            text_hash    TEXT NOT NULL DEFAULT '',
            id_key       INTEGER NOT NULL DEFAULT 0,
            text_key     INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(doc_key, idx);
        CREATE INDEX IF NOT EXISTS chunks_by_id_key ON chunks(id_key);
        CREATE INDEX IF NOT EXISTS chunks_by_text_key ON chunks(text_key);

        CREATE TABLE IF NOT EXISTS postings (
            term        INTEGER NOT NULL,
            chunk_rowid INTEGER NOT NULL,
            weight      REAL NOT NULL,
            PRIMARY KEY (term, chunk_rowid)
        ) WITHOUT ROWID;
        """ + Version2Tables;

    /// <summary>What version 2 adds beside the version 1 tables (created by both a new file and the migration).</summary>
    private const string Version2Tables = """

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

    /// <summary>
    /// Version 2 to 3: the key columns, filled by the kqa_key function the store registers on the
    /// connection, their indexes, and the text-hash index they replace dropped (its pages are
    /// reused by later rows). A million chunks take about a minute: every row is rewritten once.
    /// </summary>
    public const string MigrateFromVersion2 = $"""
        ALTER TABLE chunks ADD COLUMN id_key INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE chunks ADD COLUMN text_key INTEGER NOT NULL DEFAULT 0;
        UPDATE chunks SET id_key = {KeyFunction}(id), text_key = {KeyFunction}(text_hash);
        DROP INDEX IF EXISTS chunks_by_text_hash;
        CREATE INDEX IF NOT EXISTS chunks_by_id_key ON chunks(id_key);
        CREATE INDEX IF NOT EXISTS chunks_by_text_key ON chunks(text_key);
        UPDATE meta SET value = '3' WHERE key = '{SchemaVersionKey}';
        """;

    /// <summary>The SQL function (registered per connection) that computes <see cref="RowKeys.Of"/>.</summary>
    public const string KeyFunction = "kqa_key";

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

/// <summary>
/// The 64-bit keys the chunks table is indexed by in place of its id and text-hash strings: the
/// first 8 bytes of the string's SHA-256. Two strings can share a key, so every lookup by key also
/// compares the string itself.
/// </summary>
internal static class RowKeys
{
    public static long Of(string value)
    {
        Span<byte> hash = stackalloc byte[32];
        Utf8Sha256.Hash(value, hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(hash);
    }
}

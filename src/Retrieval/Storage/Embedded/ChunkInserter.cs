using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// The chunks table's INSERT, prepared once per write transaction on the transaction's connection
/// and bound by position straight from the chunk: strings as UTF-8 from one reused buffer (encoded
/// as Microsoft.Data.Sqlite encodes them, so a stored text is byte for byte what it was), the vector
/// from its own memory, the sparse weights from another reused buffer, and
/// the new rowid read from the connection rather than from a RETURNING row.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite's command costs more per row than SQLite itself at bulk-write sizes: every
/// execution looks each named parameter up again, converts every string and blob to a new array,
/// checks for unbound parameters and builds a data reader for RETURNING (bench store --write-only,
/// docs/quality.md, seventh round). Errors go through <see cref="SqliteException"/> as the
/// command's do, so the store's constraint and busy handling see the same exceptions.
/// </remarks>
internal sealed class ChunkInserter : IDisposable
{
    private const string Sql = """
        INSERT INTO chunks (id, doc_key, idx, text, start_offset, end_offset, headings, page, token_count, vector, sparse, text_hash, id_key, text_key)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        """;

    /// <summary>The headings column of a chunk without headings (what <see cref="RowMapping.SerializeStrings"/> writes for none).</summary>
    private const string NoHeadings = "[]";

    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;
    private byte[] _sparse = new byte[1024];
    private byte[] _text = new byte[16 * 1024];

    public ChunkInserter(SqliteConnection connection)
    {
        _database = connection.Handle ?? throw new InvalidOperationException("The write connection is not open.");
        Check(raw.sqlite3_prepare_v2(_database, Sql, out _statement));
    }

    /// <summary>Inserts one chunk row and returns its rowid.</summary>
    public long Insert(long documentKey, IndexedChunk indexed, string textHash, long idKey, long textKey)
    {
        var chunk = indexed.Chunk;
        try
        {
            Check(BindText(1, chunk.Id));
            Check(raw.sqlite3_bind_int64(_statement, 2, documentKey));
            Check(raw.sqlite3_bind_int64(_statement, 3, chunk.Index));
            Check(BindText(4, chunk.Text));
            Check(raw.sqlite3_bind_int64(_statement, 5, chunk.Start));
            Check(raw.sqlite3_bind_int64(_statement, 6, chunk.End));
            Check(BindText(7, chunk.Headings.Count == 0 ? NoHeadings : RowMapping.SerializeStrings(chunk.Headings)));
            Check(chunk.Page is { } page ? raw.sqlite3_bind_int64(_statement, 8, page) : raw.sqlite3_bind_null(_statement, 8));
            Check(raw.sqlite3_bind_int64(_statement, 9, chunk.TokenCount));
            Check(BindVector(indexed.Vector.Span));
            Check(BindSparse(indexed.Sparse));
            Check(BindText(12, textHash));
            Check(raw.sqlite3_bind_int64(_statement, 13, idKey));
            Check(raw.sqlite3_bind_int64(_statement, 14, textKey));
            var done = raw.sqlite3_step(_statement);
            if (done != raw.SQLITE_DONE)
            {
                Check(done);
            }
            return raw.sqlite3_last_insert_rowid(_database);
        }
        finally
        {
            // Bound values are copies (SQLITE_TRANSIENT); resetting ends the statement so the commit finds none running.
            raw.sqlite3_reset(_statement);
        }
    }

    private int BindText(int index, string value)
    {
        var length = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_text.Length < length)
        {
            _text = new byte[Math.Max(length, 2 * _text.Length)];
        }
        var written = System.Text.Encoding.UTF8.GetBytes(value, _text);
        return raw.sqlite3_bind_text(_statement, index, _text.AsSpan(0, written));
    }

    private int BindVector(ReadOnlySpan<float> vector)
    {
        if (BitConverter.IsLittleEndian)
        {
            // The stored layout is the floats' own little-endian bytes: no copy needed.
            return raw.sqlite3_bind_blob(_statement, 10, MemoryMarshal.AsBytes(vector));
        }
        return raw.sqlite3_bind_blob(_statement, 10, BlobCodec.EncodeVector(vector));
    }

    private int BindSparse(Lexical.SparseVector sparse)
    {
        var length = BlobCodec.SparseLength(sparse);
        if (_sparse.Length < length)
        {
            _sparse = new byte[Math.Max(length, 2 * _sparse.Length)];
        }
        BlobCodec.EncodeSparse(sparse, _sparse);
        return raw.sqlite3_bind_blob(_statement, 11, _sparse.AsSpan(0, length));
    }

    private void Check(int code)
    {
        if (code != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(code, _database);
        }
    }

    public void Dispose() => _statement.Dispose();
}

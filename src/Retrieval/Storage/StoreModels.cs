using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Retrieval.Storage;

/// <summary>A document as the store knows it.</summary>
public sealed record StoredDocument
{
    public required string Id { get; init; }
    public required string Source { get; init; }
    public string? Title { get; init; }
    /// <summary>Hash of everything that shaped the chunks (text, tags, chunking, model): equal means unchanged.</summary>
    public required string ContentHash { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Tenant { get; init; }
    public int ChunkCount { get; init; }
    public DateTimeOffset IngestedAt { get; init; }

    /// <summary>
    /// The ingested root the document came from (see <see cref="SourceBinding"/>); null for documents
    /// written without one (plugin calls, evaluation sets, stores from before sources existed).
    /// </summary>
    public string? SourceName { get; init; }

    /// <summary>
    /// For documents read from files: a hash of the file's bytes and of everything else that decides
    /// what is stored before the file is read (reader build, settings, path). Equal on a re-run means
    /// the file need not be read again.
    /// </summary>
    public string? FileFingerprint { get; init; }
}

/// <summary>What a document write did, decided by the store inside the write (so concurrent writers get honest answers).</summary>
public enum DocumentWriteResult
{
    /// <summary>There was no document with this id: it was stored.</summary>
    Added,
    /// <summary>A document with this id and another content hash was there: it was replaced.</summary>
    Replaced,
    /// <summary>The store already held this id with the same content hash: nothing was written.</summary>
    Unchanged,
}

/// <summary>One document of a batch write (<see cref="IKnowledgeStore.UpsertDocumentsAsync"/>): the document and all its chunks.</summary>
public sealed record DocumentUpsert(StoredDocument Document, IReadOnlyList<IndexedChunk> Chunks);

/// <summary>
/// What a batch write did with one of its documents: <see cref="Result"/> when it was written (or
/// found unchanged), <see cref="Error"/> (naming the document) when the store refused it; the
/// rest of the batch is written either way.
/// </summary>
public sealed record DocumentUpsertResult(string DocumentId, DocumentWriteResult? Result, KnowledgeStoreException? Error)
{
    public bool Succeeded => Error is null;
}

public enum SourceKind
{
    /// <summary>A folder ingested (and kept in step) from disk; <see cref="SourceBinding.Root"/> is its full path.</summary>
    Folder,
    /// <summary>Documents sent to the HTTP API or a host app; there is no root on disk.</summary>
    Upload,
}

/// <summary>
/// A name in the store under which documents are ingested: the first segment of their ids
/// (<c>NAME/relative/path</c>). A name is bound to one root, so two folders never write over each
/// other's documents.
/// </summary>
public sealed record SourceBinding(string Name, SourceKind Kind, string? Root)
{
    public DateTimeOffset BoundAt { get; init; }

    /// <summary>True when both name the same thing (kind and root; the time does not matter).</summary>
    public bool SameTarget(SourceBinding other) =>
        Name == other.Name && Kind == other.Kind && string.Equals(Root, other.Root, StringComparison.Ordinal);
}

/// <summary>
/// A file that could not be ingested, remembered by the store so that a later run can tell a new
/// failure from a file that failed before and has not changed since (<see cref="FileHash"/>).
/// </summary>
public sealed record IngestFailure(string DocumentId, string? SourceName, string Path, string FileHash, string Reason)
{
    public DateTimeOffset FailedAt { get; init; }
}

/// <summary>
/// The key under which a chunk's vector is reused: a hash of exactly the text the embedding model
/// sees. The store holds one embedding model, so (model, text) reduces to the text.
/// </summary>
public static class ChunkTextHash
{
    public static string Compute(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<byte> hash = stackalloc byte[32];
        Utf8Sha256.Hash(text, hash);
        // 128 bits: collisions are out of reach for any realistic store, and the index stays small.
        return Convert.ToHexStringLower(hash[..16]);
    }
}

/// <summary>A chunk with its dense vector and lexical weights, ready to store.</summary>
public sealed record IndexedChunk(Chunk Chunk, ReadOnlyMemory<float> Vector, SparseVector Sparse)
{
    /// <summary>The chunk text's <see cref="ChunkTextHash"/>, the key its vector is reused by.</summary>
    public string TextHash => ChunkTextHash.Compute(Chunk.Text);
}

public enum SearchMode
{
    Hybrid,
    Dense,
    Lexical,
}

/// <summary>Search modes as people write them (flags, HTTP requests): hybrid, dense, lexical.</summary>
public static class SearchModes
{
    /// <summary>Reads a mode name, case-insensitively; null or empty means hybrid.</summary>
    public static bool TryParse(string? value, out SearchMode mode)
    {
        mode = SearchMode.Hybrid;
        switch (value?.ToLowerInvariant())
        {
            case null or "" or "hybrid":
                return true;
            case "dense":
                mode = SearchMode.Dense;
                return true;
            case "lexical":
                mode = SearchMode.Lexical;
                return true;
            default:
                return false;
        }
    }
}

/// <summary>Restricts a search. Every non-empty part must match; tags match if the chunk's document has any of them.</summary>
public sealed record SearchFilter
{
    public static SearchFilter None { get; } = new();
    public IReadOnlyList<string> DocumentIds { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Tenant { get; init; }
    public bool IsEmpty => DocumentIds.Count == 0 && Tags.Count == 0 && Tenant is null;
}

/// <summary>
/// One search: the query already embedded and encoded. Dense mode needs <see cref="Vector"/>,
/// lexical mode needs <see cref="Sparse"/>, hybrid both.
/// </summary>
public sealed record StoreQuery
{
    public ReadOnlyMemory<float> Vector { get; init; }
    public SparseVector Sparse { get; init; } = SparseVector.Empty;
    public SearchMode Mode { get; init; } = SearchMode.Hybrid;
    public int Top { get; init; } = 5;
    public SearchFilter Filter { get; init; } = SearchFilter.None;
    /// <summary>The constant k of reciprocal rank fusion: score = sum of 1 / (k + rank).</summary>
    public int FusionK { get; init; } = 60;
    /// <summary>How many candidates each side contributes to fusion (at least <see cref="Top"/>).</summary>
    public int Candidates { get; init; } = 50;
}

/// <summary>
/// A search result: the chunk, its document's source, and scores. <see cref="Score"/> is the
/// mode's own score (cosine for dense, BM25 for lexical, RRF for hybrid); the per-side scores are
/// set when that side found the chunk, so callers can apply relevance thresholds.
/// </summary>
public sealed record SearchHit
{
    public required Chunk Chunk { get; init; }
    public required string Source { get; init; }
    public string? Title { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public double Score { get; init; }
    public double? DenseScore { get; init; }
    public double? LexicalScore { get; init; }
}

public sealed record StoreStatistics(int Documents, int Chunks, int Dimensions, string? EmbeddingModel);

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
}

/// <summary>A chunk with its dense vector and lexical weights, ready to store.</summary>
public sealed record IndexedChunk(Chunk Chunk, ReadOnlyMemory<float> Vector, SparseVector Sparse);

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

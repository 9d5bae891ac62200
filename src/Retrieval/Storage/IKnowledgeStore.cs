namespace KnowledgeQa.Retrieval.Storage;

/// <summary>
/// Where documents, chunks, vectors and lexical weights live. Every implementation keeps the same
/// contract (tests/…/KnowledgeStoreConformanceTests): writes are per document and atomic, a
/// document's chunks are replaced as a whole, and search results have one shape.
/// </summary>
public interface IKnowledgeStore : IAsyncDisposable
{
    /// <summary>
    /// Prepares the store for vectors of <paramref name="dimensions"/> from <paramref name="embeddingModel"/>.
    /// Throws <see cref="KnowledgeStoreException"/> when the store already holds vectors of another size or model.
    /// </summary>
    Task InitializeAsync(int dimensions, string embeddingModel, CancellationToken cancellationToken = default);

    Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>Writes a document and replaces all of its previous chunks, atomically.</summary>
    Task UpsertDocumentAsync(StoredDocument document, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken = default);

    /// <summary>Removes a document and all its chunks; false when there was no such document.</summary>
    Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    IAsyncEnumerable<StoredDocument> ListDocumentsAsync(CancellationToken cancellationToken = default);

    /// <summary>A document's chunks with vectors and lexical weights, in index order (for migration and export).</summary>
    IAsyncEnumerable<IndexedChunk> ReadChunksAsync(string documentId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SearchHit>> SearchAsync(StoreQuery query, CancellationToken cancellationToken = default);

    Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);
}

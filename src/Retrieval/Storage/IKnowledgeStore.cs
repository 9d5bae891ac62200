namespace KnowledgeQa.Retrieval.Storage;

/// <summary>
/// Where documents, chunks, vectors and lexical weights live. Every implementation keeps the same
/// contract (tests/…/KnowledgeStoreConformanceTests): writes are per document and atomic, a
/// document's chunks are replaced as a whole, the store itself says what a write did, and search
/// results have one shape. Besides documents a store keeps what keeps it in step with folders:
/// the source names bound to roots, and the files that failed to ingest.
/// </summary>
/// <remarks>
/// Errors a user must act on are typed: <see cref="StoreFullException"/> (no room to write),
/// <see cref="StoreBusyException"/> (another process holds the store longer than the store waits),
/// <see cref="KnowledgeStoreException"/> for the rest.
/// </remarks>
public interface IKnowledgeStore : IAsyncDisposable
{
    /// <summary>
    /// Prepares the store for vectors of <paramref name="dimensions"/> from <paramref name="embeddingModel"/>.
    /// Throws <see cref="KnowledgeStoreException"/> when the store already holds vectors of another size or model.
    /// </summary>
    Task InitializeAsync(int dimensions, string embeddingModel, CancellationToken cancellationToken = default);

    Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a document and replaces all of its previous chunks, atomically. The store compares the
    /// content hash with what it holds inside the write: <see cref="DocumentWriteResult.Unchanged"/>
    /// (nothing written) when it already holds this id with this hash, so two writers of the same
    /// document get one <see cref="DocumentWriteResult.Added"/> between them.
    /// </summary>
    Task<DocumentWriteResult> UpsertDocumentAsync(StoredDocument document, IReadOnlyList<IndexedChunk> chunks, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes several documents, each as <see cref="UpsertDocumentAsync"/> would (atomically, its
    /// previous chunks replaced), and returns one result per document in the order given. A document
    /// the store refuses gets its error in its result and does not stop the others; a store that is
    /// full or busy throws, as a single write would (<see cref="StoreFullException"/>,
    /// <see cref="StoreBusyException"/>); the batch may then be written in part or not at all, but
    /// never a document in part. The embedded store writes the batch in one transaction (cheaper
    /// per chunk); this default writes one document at a time.
    /// </summary>
    async Task<IReadOnlyList<DocumentUpsertResult>> UpsertDocumentsAsync(IReadOnlyList<DocumentUpsert> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var results = new List<DocumentUpsertResult>(documents.Count);
        foreach (var (document, chunks) in documents)
        {
            try
            {
                results.Add(new DocumentUpsertResult(document.Id, await UpsertDocumentAsync(document, chunks, cancellationToken).ConfigureAwait(false), null));
            }
            catch (KnowledgeStoreException e) when (e is not StoreFullException and not StoreBusyException)
            {
                results.Add(new DocumentUpsertResult(document.Id, null, e));
            }
        }
        return results;
    }

    /// <summary>Removes a document and all its chunks; false when there was no such document.</summary>
    Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    IAsyncEnumerable<StoredDocument> ListDocumentsAsync(CancellationToken cancellationToken = default);

    /// <summary>A document's chunks with vectors and lexical weights, in index order (for migration and export).</summary>
    IAsyncEnumerable<IndexedChunk> ReadChunksAsync(string documentId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SearchHit>> SearchAsync(StoreQuery query, CancellationToken cancellationToken = default);

    Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The vectors the store already holds for chunk texts with these <see cref="ChunkTextHash"/>es,
    /// from any document (and, where the store keeps them, from recently deleted chunks), so that
    /// ingesting text the store has seen costs no embedding. Hashes it does not know are left out.
    /// </summary>
    Task<IReadOnlyDictionary<string, ReadOnlyMemory<float>>> FindVectorsAsync(IReadOnlyCollection<string> textHashes, CancellationToken cancellationToken = default);

    Task<SourceBinding?> GetSourceAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Binds <paramref name="source"/>'s name unless it is bound already, and returns the binding in
    /// force: the existing one when the name was bound (to the same or another target; the caller
    /// decides whether that is a conflict), or <paramref name="source"/> when it was free or
    /// <paramref name="replace"/> is true.
    /// </summary>
    Task<SourceBinding> BindSourceAsync(SourceBinding source, bool replace = false, CancellationToken cancellationToken = default);

    IAsyncEnumerable<SourceBinding> ListSourcesAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a source's binding and its remembered failures (not its documents); false when the name was not bound.</summary>
    Task<bool> RemoveSourceAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The remembered failures of one source (null: of documents without a source).</summary>
    Task<IReadOnlyList<IngestFailure>> ListFailuresAsync(string? sourceName, CancellationToken cancellationToken = default);

    /// <summary>Remembers that a file failed (replacing what was remembered for the same document id).</summary>
    Task RecordFailureAsync(IngestFailure failure, CancellationToken cancellationToken = default);

    /// <summary>Forgets a remembered failure (the file went in, or is gone); false when none was remembered.</summary>
    Task<bool> ClearFailureAsync(string documentId, CancellationToken cancellationToken = default);
}

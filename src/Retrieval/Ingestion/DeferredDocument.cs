using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// A document to ingest that is read only when the pipeline reaches it, so a batch of many large
/// files (an HTTP upload of 100 files) holds only the documents in flight in memory, not all of them.
/// <see cref="ReadAsync"/> must return a document with this <see cref="Id"/>; a
/// <see cref="DocumentReadException"/> it throws is that file's failure, and the rest of the batch
/// still goes in.
/// </summary>
/// <param name="Id">The document id (<see cref="DocumentIds.Compose"/>), known before reading.</param>
/// <param name="Source">What the report calls the file (its path within the source).</param>
/// <param name="Length">Its size in bytes, for progress.</param>
/// <param name="ReadAsync">Reads and extracts the document.</param>
public sealed record DeferredDocument(string Id, string Source, long Length, Func<CancellationToken, Task<Document>> ReadAsync)
{
    /// <summary>A document already in memory.</summary>
    public static DeferredDocument From(Document document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new DeferredDocument(document.Id, document.Source, document.Text.Length, _ => Task.FromResult(document));
    }
}

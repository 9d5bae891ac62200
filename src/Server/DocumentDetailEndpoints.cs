using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KnowledgeQa.Server;

/// <summary>GET /v1/documents/{**id}: one document with its chunks (the web app's document view).</summary>
public static class DocumentDetailEndpoints
{
    public static void MapDocumentDetail(RouteGroupBuilder v1) =>
        v1.MapGet("/documents/{**id}", async (string id, IKnowledgeStore store, SourceDisplay sources, CancellationToken ct) =>
                await ReadAsync(store, id, ct) is { } detail
                    ? Results.Json(detail with { Document = sources.Apply(detail.Document) }, ServerJson.Options)
                    : NoSuchDocument(id))
            .Produces<DocumentDetail>().Produces<ApiError>(StatusCodes.Status404NotFound)
            .WithSummary("One document with its chunks: text, index, page, headings (the id may contain '/': /v1/documents/en/guide.md)");

    /// <summary>The 404 of the routes that take a document id.</summary>
    public static IResult NoSuchDocument(string id) =>
        Results.Json(new ApiError($"no document '{id}' in the knowledge base; GET /v1/documents lists the ids."), ServerJson.Options, statusCode: StatusCodes.Status404NotFound);

    public static async Task<DocumentDetail?> ReadAsync(IKnowledgeStore store, string id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(id))
            throw new ApiInputException("a document id is required: GET /v1/documents/{id}.");
        // Another tenant's document is "not found" to a tenant-bound key, as in the list.
        if (await store.GetDocumentAsync(id, cancellationToken) is not { } document || !CallerTenant.MaySee(document.Tenant))
            return null;
        var chunks = new List<Chunk>();
        await foreach (var indexed in store.ReadChunksAsync(id, cancellationToken))
            chunks.Add(indexed.Chunk);
        return DocumentDetail.From(document, chunks);
    }
}

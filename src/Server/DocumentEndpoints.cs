using KnowledgeQa.Plugins.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KnowledgeQa.Server;

/// <summary>The document endpoints under /v1: list, upload (and ingest), delete. Ids are opaque and may contain '/'.</summary>
public static class DocumentEndpoints
{
    public static void MapDocuments(RouteGroupBuilder v1)
    {
        v1.MapGet("/documents", (KnowledgeApi api, CancellationToken ct) => api.ListDocumentsAsync(ct))
            .Produces<IReadOnlyList<DocumentInfo>>()
            .WithSummary("List the documents (same JSON as kqa docs --json), each with the source it belongs to");
        v1.MapPost("/documents", (HttpRequest request, DocumentUpload upload, CancellationToken ct) => upload.HandleAsync(request, ct))
            .Accepts<IFormFileCollection>("multipart/form-data")
            .Produces<IngestReport>().Produces<IngestReport>(207)
            .Produces<ApiError>(409).Produces<DocumentUpload.StoppedUpload>(503).Produces<DocumentUpload.StoppedUpload>(507)
            .DisableAntiforgery()
            .WithSummary("Upload and ingest files (form parts: file..., optional path per file, source, tag, tenant, replaceTags, overwrite); " +
                         "ids are SOURCE/path; same JSON as kqa ingest --json");
        v1.MapDelete("/documents/{**id}", async (string id, KnowledgeApi api, CancellationToken ct) =>
                await api.DeleteDocumentAsync(id, ct)
                    ? Results.Json(new { deleted = id }, ServerJson.Options)
                    : DocumentDetailEndpoints.NoSuchDocument(id))
            .WithSummary("Remove a document and all its chunks (the id may contain '/': /v1/documents/upload/guides/setup.md)");
    }
}

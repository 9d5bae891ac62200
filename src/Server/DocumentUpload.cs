using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server;

/// <summary>
/// POST /v1/documents: reads each uploaded file with the same readers as kqa ingest and ingests
/// the ones that read; a file that cannot be read is reported in <c>failed</c>, never lost silently.
/// </summary>
public sealed class DocumentUpload(DocumentReaderRegistry readers, IngestionPipeline pipeline, ServerSettings settings, IKnowledgeStore store)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
            throw new ApiInputException("send the files as multipart/form-data (curl -F file=@guide.pdf).", StatusCodes.Status415UnsupportedMediaType);
        var form = await UploadForm.ReadAsync(request, settings, cancellationToken);
        if (form.Files.Count == 0)
            throw new ApiInputException("no files in the upload: add one or more file parts (curl -F file=@guide.pdf).");
        if (form.Files.Count > settings.MaxUploadFiles)
            throw new ApiInputException($"{form.Files.Count} files in one upload; the limit is {settings.MaxUploadFiles}.");

        var options = new IngestionOptions
        {
            Tags = form["tag"].Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).ToList(),
            // A tenant-bound key writes to its own tenant only.
            Tenant = CallerTenant.ForWrite(form["tenant"].FirstOrDefault() is { Length: > 0 } tenant ? tenant : null),
        };

        var readFailures = new List<IngestionFileResult>();
        var documents = new List<Document>();
        foreach (var file in form.Files)
        {
            // Only the last segment of the client's file name: it names the document, never a path here.
            var name = Path.GetFileName(file.FileName.Replace('\\', '/'));
            if (string.IsNullOrWhiteSpace(name))
                name = file.Name;
            if (await TenantOwnership.IsOffLimitsAsync(store, name, cancellationToken))
            {
                readFailures.Add(new IngestionFileResult(name, name, IngestionOutcome.Failed,
                    Reason: "a document with this id belongs to another tenant; rename the file."));
                continue;
            }
            try
            {
                await using var stream = file.OpenReadStream();
                documents.Add(await readers.ReadAsync(stream, name, name, name, cancellationToken));
            }
            catch (DocumentReadException e)
            {
                readFailures.Add(new IngestionFileResult(name, name, IngestionOutcome.Failed, Reason: e.Reason));
            }
        }

        var ingested = documents.Count > 0
            ? await pipeline.IngestDocumentsAsync(documents, options, null, cancellationToken)
            : new IngestionSummary([]);
        var summary = new IngestionSummary([.. ingested.Files, .. readFailures]);
        var report = IngestReport.From(summary);
        var status = summary.Failed == 0 ? StatusCodes.Status200OK
            : summary.Failed < summary.Files.Count ? StatusCodes.Status207MultiStatus
            : StatusCodes.Status422UnprocessableEntity;
        return Results.Json(report, ServerJson.Options, statusCode: status);
    }
}

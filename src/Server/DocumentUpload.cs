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
/// <remarks>
/// Form parts: <c>file</c> (one or more), optional <c>path</c> (one per file, in order: the path of
/// the document inside its source, else the file name the client sent, folders included),
/// <c>source</c> (default <see cref="DefaultSource"/>), <c>tag</c> (repeatable), <c>tenant</c>,
/// <c>replaceTags</c> and <c>overwrite</c> (true to write into a source that a folder sync owns).
/// Document ids are <c>SOURCE/path</c>: two different files never share one silently (two parts
/// with one path: the second is reported failed).
/// Files are read where the form reader buffered them (on disk past 64 KB), never copied whole into
/// memory; after a large upload the server gives the memory it needed back (<see cref="LargeRequestMemory"/>).
/// </remarks>
public sealed class DocumentUpload(DocumentReaderRegistry readers, IngestionPipeline pipeline, ServerSettings settings, IKnowledgeStore store,
    LargeRequestMemory memory)
{
    public const string DefaultSource = "upload";

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
            throw new ApiInputException("send the files as multipart/form-data (curl -F file=@guide.pdf).", StatusCodes.Status415UnsupportedMediaType);
        var form = await UploadForm.ReadAsync(request, settings, cancellationToken);
        if (form.Files.Count == 0)
            throw new ApiInputException("no files in the upload: add one or more file parts (curl -F file=@guide.pdf).");
        if (form.Files.Count > settings.MaxUploadFiles)
            throw new ApiInputException($"{form.Files.Count} files in one upload; the limit is {settings.MaxUploadFiles}.");
        memory.After(request.HttpContext.Response, form.Files.Sum(f => f.Length));

        var source = form["source"].FirstOrDefault() is { Length: > 0 } named ? named : DefaultSource;
        if (DocumentIds.ProblemWithSourceName(source) is { } problem)
            throw new ApiInputException($"'source' '{source}': {problem}.");
        var paths = form["path"];
        if (paths.Count > 0 && paths.Count != form.Files.Count)
            throw new ApiInputException($"{paths.Count} 'path' parts for {form.Files.Count} files: give one path per file, in the order of the files, or none.");

        var options = new IngestionOptions
        {
            Tags = form["tag"].Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).ToList(),
            ReplaceTags = IsTrue(form["replaceTags"].FirstOrDefault(), "replaceTags"),
            // A tenant-bound key writes to its own tenant only.
            Tenant = CallerTenant.ForWrite(form["tenant"].FirstOrDefault() is { Length: > 0 } tenant ? tenant : null),
            SourceName = source,
            AllowFolderSource = IsTrue(form["overwrite"].FirstOrDefault(), "overwrite"),
        };

        // Each file is read when the pipeline reaches it (the form keeps large parts on disk), so an
        // upload holds the documents in flight in memory, not all of its files at once.
        var readFailures = new List<IngestionFileResult>();
        var documents = new List<DeferredDocument>();
        for (var i = 0; i < form.Files.Count; i++)
        {
            var file = form.Files[i];
            var given = paths.Count > 0 ? paths[i] : file.FileName;
            if (DocumentIds.NormalizeRelativePath(given) is not { } relative)
            {
                readFailures.Add(new IngestionFileResult(given ?? file.Name, null, IngestionOutcome.Failed,
                    Reason: $"file {i + 1} has no usable path ('{given}'): send a file name, or a 'path' part per file, without '..'"));
                continue;
            }
            var id = DocumentIds.Compose(source, relative);
            if (await TenantOwnership.IsOffLimitsAsync(store, id, cancellationToken))
            {
                readFailures.Add(new IngestionFileResult(relative, id, IngestionOutcome.Failed,
                    Reason: "a document with this id belongs to another tenant; send it under another path or source.") { SourceName = source });
                continue;
            }
            documents.Add(new DeferredDocument(id, relative, file.Length, async ct =>
            {
                await using var stream = file.OpenReadStream();
                return await readers.ReadAsync(stream, Path.GetFileName(relative), id, relative, ct);
            }));
        }

        IngestionSummary ingested;
        try
        {
            ingested = documents.Count > 0
                ? await pipeline.IngestDocumentsAsync(documents, options, null, cancellationToken)
                : new IngestionSummary([]);
        }
        catch (SourceConflictException e)
        {
            return Results.Json(new ApiError(e.Message), ServerJson.Options, statusCode: StatusCodes.Status409Conflict);
        }
        catch (IngestionStoppedException e)
        {
            return Stopped(e, readFailures);
        }
        var summary = new IngestionSummary([.. ingested.Files, .. readFailures]);
        var status = summary.Failed == 0 ? StatusCodes.Status200OK
            : summary.Failed < summary.Files.Count ? StatusCodes.Status207MultiStatus
            : StatusCodes.Status422UnprocessableEntity;
        return Results.Json(IngestReport.From(summary), ServerJson.Options, statusCode: status);
    }

    /// <summary>The store stopped the upload: 503 with Retry-After (locked) or 507 (full), with what did go in.</summary>
    private static IResult Stopped(IngestionStoppedException stopped, List<IngestionFileResult> readFailures)
    {
        var summary = stopped.Summary with { Files = [.. stopped.Summary.Files, .. readFailures] };
        var body = new StoppedUpload(stopped.Message, IngestReport.From(summary, stopped.Message));
        return new StoreErrorResult(Results.Json(body, ServerJson.Options, statusCode: StoreErrorResponses.StatusOf(stopped.StoreError) ?? 500), stopped.StoreError);
    }

    private static bool IsTrue(string? value, string name) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => throw new ApiInputException($"'{name}' must be true or false (got '{value}')."),
    };

    /// <summary>The error body of an upload the store stopped: the error, and the report of what went in.</summary>
    public sealed record StoppedUpload(string Error, IngestReport Report);

    /// <summary>The JSON result of a store error, with Retry-After when waiting helps.</summary>
    private sealed class StoreErrorResult(IResult inner, Exception error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            StoreErrorResponses.AddRetryAfter(httpContext.Response, error);
            return inner.ExecuteAsync(httpContext);
        }
    }
}

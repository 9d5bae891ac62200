using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace KnowledgeQa.Server;

/// <summary>
/// Reads an upload's multipart form with limits that agree with <see cref="ServerSettings.MaxUploadFiles"/>,
/// and turns a malformed or over-limit body into a 4xx that says what was wrong (the form reader
/// throws InvalidDataException and IOException, which would otherwise be a 500).
/// </summary>
public static class UploadForm
{
    /// <summary>Form fields beside the files (tag, tenant, ...) one upload may carry.</summary>
    public const int MaxOtherFields = 64;

    /// <summary>The form limits for <paramref name="settings"/>: files and fields count against one value limit.</summary>
    public static void Configure(FormOptions form, ServerSettings settings)
    {
        form.MultipartBodyLengthLimit = settings.MaxUploadBytes;
        // The framework counts files as form values too: room for every allowed file and its 'path'
        // part plus the fields, so that a request over MaxUploadFiles is answered by the upload's own
        // check and message.
        form.ValueCountLimit = 2 * settings.MaxUploadFiles + MaxOtherFields + 1;
    }

    public static async Task<IFormCollection> ReadAsync(HttpRequest request, ServerSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException e) when (e.Message.StartsWith("Form value count limit", StringComparison.Ordinal))
        {
            throw new ApiInputException($"too many parts in one upload: at most {settings.MaxUploadFiles} files (and a 'path' part for each) and {MaxOtherFields} other fields.");
        }
        catch (InvalidDataException e) when (e.Message.StartsWith("Multipart body length limit", StringComparison.Ordinal))
        {
            throw new ApiInputException($"the upload is over {settings.MaxUploadBytes} bytes (Server:MaxUploadBytes).", StatusCodes.Status413PayloadTooLarge);
        }
        catch (InvalidDataException e)
        {
            throw new ApiInputException($"malformed multipart body ({e.Message.TrimEnd('.')}); send files as multipart/form-data (curl -F file=@guide.pdf).");
        }
        catch (IOException e) when (e is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiInputException("the multipart body ended before its closing boundary (a truncated upload?); send it again.");
        }
    }
}

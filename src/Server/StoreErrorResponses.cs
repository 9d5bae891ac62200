using System.Globalization;
using KnowledgeQa.Retrieval;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server;

/// <summary>
/// How store errors a caller can wait out or must act on are answered: a store another process
/// holds is 503 with Retry-After, a full store 507; both with the store's one-line message.
/// </summary>
public static class StoreErrorResponses
{
    /// <summary>The status for a store error, or null when it is not one of these.</summary>
    public static int? StatusOf(Exception error) => error switch
    {
        StoreBusyException => StatusCodes.Status503ServiceUnavailable,
        StoreFullException => StatusCodes.Status507InsufficientStorage,
        _ => null,
    };

    /// <summary>Sets Retry-After (whole seconds, at least 1) when the error is a busy store.</summary>
    public static void AddRetryAfter(HttpResponse response, Exception error)
    {
        if (error is StoreBusyException busy)
            response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, busy.RetryAfter.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
    }
}

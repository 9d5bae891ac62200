using System.Net;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Plugins.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Cli.Server;

/// <summary>
/// The kqa HTTP server: the REST API under /v1, MCP over streamable HTTP at /mcp, the OpenAPI
/// document at /openapi/v1.json and /healthz, on Kestrel. <paramref name="addKnowledgeQa"/>
/// registers KnowledgeQa's services (the CLI passes its own configuration; tests their own).
/// </summary>
public static class KqaServer
{
    public static WebApplication Build(ServerSettings settings, Action<IServiceCollection> addKnowledgeQa, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(settings.Urls.Count > 0 ? [.. settings.Urls] : [ServerSettings.DefaultUrl]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(settings.MaxUploadBytes, settings.MaxJsonBytes);
        });
        builder.Services.Configure<FormOptions>(form =>
        {
            form.MultipartBodyLengthLimit = settings.MaxUploadBytes;
            form.ValueCountLimit = 64;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = settings.ShutdownTimeout);
        builder.Services.Configure<RouteHandlerOptions>(route => route.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(json => ServerJson.Configure(json.SerializerOptions));
        // Request-by-request framework logs drown the useful lines; warnings and errors still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging?.Invoke(builder.Logging);

        addKnowledgeQa(builder.Services);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<KnowledgeApi>();
        builder.Services.AddSingleton<DocumentUpload>();
        builder.Services.AddOpenApi();
        builder.Services.AddMcpServer(mcp => mcp.ServerInfo = new() { Name = "kqa", Version = typeof(KqaServer).Assembly.GetName().Version?.ToString() ?? "1.0" })
            .WithHttpTransport(http => http.Stateless = true)
            .WithKnowledgeQaPluginTools();

        var app = builder.Build();
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseMiddleware<RequestSizeMiddleware>();
        MapEndpoints(app);
        app.Lifetime.ApplicationStarted.Register(() => WarnWhenOpen(app, settings));
        return app;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }, ServerJson.Options)).ExcludeFromDescription();
        app.MapOpenApi();
        app.MapMcp("/mcp");

        var v1 = app.MapGroup("/v1");
        v1.MapPost("/search", (SearchRequest request, KnowledgeApi api, CancellationToken ct) => api.SearchAsync(request, ct))
            .Produces<IReadOnlyList<SearchResult>>().ProducesProblem(400)
            .WithSummary("Search the knowledge base (same JSON as kqa search --json)");
        v1.MapPost("/ask", AskAsync)
            .Produces<AnswerResult>().Produces(200, contentType: "text/event-stream")
            .WithSummary("Answer a question with citations (same JSON as kqa ask --json); Accept: text/event-stream streams it");
        v1.MapPost("/classify", (ClassifyRequest request, KnowledgeApi api, CancellationToken ct) => api.ClassifyAsync(request, ct))
            .Produces<ClassificationResult>().ProducesProblem(400)
            .WithSummary("Classify a text: zero-shot over 'labels' or 'sentiment': true (same JSON as kqa classify --json)");
        v1.MapGet("/documents", (KnowledgeApi api, CancellationToken ct) => api.ListDocumentsAsync(ct))
            .Produces<IReadOnlyList<DocumentInfo>>()
            .WithSummary("List the documents (same JSON as kqa docs --json)");
        v1.MapPost("/documents", (HttpRequest request, DocumentUpload upload, CancellationToken ct) => upload.HandleAsync(request, ct))
            .Accepts<IFormFileCollection>("multipart/form-data")
            .Produces<KnowledgeQa.Cli.Commands.IngestReport>().Produces<KnowledgeQa.Cli.Commands.IngestReport>(207)
            .DisableAntiforgery()
            .WithSummary("Upload and ingest files (form parts: files, optional tag and tenant); same JSON as kqa ingest --json");
        v1.MapDelete("/documents/{id}", async (string id, KnowledgeApi api, CancellationToken ct) =>
                await api.DeleteDocumentAsync(id, ct)
                    ? Results.Json(new { deleted = id }, ServerJson.Options)
                    : Results.Json(new ApiError($"no document '{id}' in the knowledge base; GET /v1/documents lists the ids."), ServerJson.Options, statusCode: 404))
            .WithSummary("Remove a document and all its chunks");
    }

    private static async Task<IResult> AskAsync(AskRequest request, KnowledgeApi api, HttpContext context, CancellationToken ct)
    {
        if (!AnswerStream.IsWanted(context.Request))
            return Results.Json(await api.AskAsync(request, ct), ServerJson.Options);
        await AnswerStream.WriteAsync(context.Response, api.AskStreamingAsync(request, ct), ct);
        return Results.Empty;
    }

    /// <summary>The addresses Kestrel listens on (with the real port when 0 was asked for).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private static void WarnWhenOpen(WebApplication app, ServerSettings settings)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KnowledgeQa.Server");
        var addresses = Addresses(app);
        logger.LogInformation("kqa serve listening on {Addresses}", string.Join(", ", addresses));
        if (string.IsNullOrEmpty(settings.ApiKey) && addresses.Any(a => !IsLoopback(a)))
            logger.LogWarning("Serving beyond loopback ({Addresses}) without an API key: anyone who can reach this port can read and change the knowledge base. Set --api-key or KQA__Server__ApiKey.",
                string.Join(", ", addresses));
    }

    private static bool IsLoopback(string address)
    {
        if (!Uri.TryCreate(address.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0"), UriKind.Absolute, out var uri))
            return false;
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }
}

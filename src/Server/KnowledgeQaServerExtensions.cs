using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Server.Mcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using KnowledgeQa.Agents.Classification;

namespace KnowledgeQa.Server;

/// <summary>
/// KnowledgeQa's HTTP surface for any ASP.NET Core app: <c>services.AddKnowledgeQaServer(settings)</c>
/// beside <c>services.AddKnowledgeQa(...)</c>, then <c>app.MapKnowledgeQa()</c>. kqa serve is one such app.
/// </summary>
public static class KnowledgeQaServerExtensions
{
    /// <summary>The API's services: request handlers, JSON settings, form limits, OpenAPI and MCP over HTTP.</summary>
    public static IServiceCollection AddKnowledgeQaServer(this IServiceCollection services, ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        services.AddSingleton(settings);
        // What the API shows as a document's source: a server hides its own folder layout by default.
        services.AddSingleton(new SourceDisplay(settings.SourcePaths));
        services.AddSingleton<ServerReadiness>();
        services.AddSingleton<McpInFlightRequests>();
        services.AddHostedService<KnowledgeQaWarmup>();
        services.Configure<FormOptions>(form => UploadForm.Configure(form, settings));
        services.Configure<RouteHandlerOptions>(route => route.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(json => ServerJson.Configure(json.SerializerOptions));
        services.AddSingleton<KnowledgeApi>();
        services.AddSingleton<DocumentUpload>();
        services.AddSingleton<LargeRequestMemory>();
        services.AddSingleton<OpenAi.ChatCompletionsApi>();
        services.AddOpenApi();
        services.AddMcpServer(mcp => mcp.ServerInfo = new() { Name = "kqa", Version = typeof(KnowledgeQaServerExtensions).Assembly.GetName().Version?.ToString() ?? "1.0" })
            .WithHttpTransport(http => http.Stateless = true)
            .WithKnowledgeQaPluginTools();
        return services;
    }

    /// <summary>
    /// Maps /healthz, the REST API under /v1, MCP at /mcp, the OpenAPI document and the web app at /,
    /// with the middleware that answers their errors as JSON, checks the API key and bounds request bodies.
    /// </summary>
    public static WebApplication MapKnowledgeQa(this WebApplication app)
    {
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseMiddleware<RequestSizeMiddleware>();
        app.UseMiddleware<McpRequestScreenMiddleware>();

        app.MapGet("/healthz", (ServerReadiness readiness) => readiness.Report())
            .WithMetadata(KnowledgeQaEndpoint.Public).ExcludeFromDescription();

        var root = app.MapGroup("").WithMetadata(KnowledgeQaEndpoint.Guarded);
        root.MapOpenApi();
        root.MapMcp("/mcp").WithMetadata(McpEndpointMarker.Instance);
        MapApi(root.MapGroup("/v1"));
        WebAppEndpoints.MapWebApp(app);
        return app;
    }

    private static void MapApi(RouteGroupBuilder v1)
    {
        v1.MapPost("/search", (SearchRequest request, KnowledgeApi api, CancellationToken ct) => api.SearchAsync(request, ct))
            .Produces<IReadOnlyList<SearchResult>>().ProducesProblem(400)
            .WithSummary("Search the knowledge base (same JSON as kqa search --json)");
        v1.MapPost("/ask", AskAsync)
            .Produces<AnswerResult>().Produces(200, contentType: "text/event-stream")
            .WithSummary("Answer a question with citations (same JSON as kqa ask --json); Accept: text/event-stream streams it");
        v1.MapPost("/classify", (ClassifyRequest request, KnowledgeApi api, CancellationToken ct) => api.ClassifyAsync(request, ct))
            .Produces<ClassificationResult>().ProducesProblem(400)
            .WithSummary("Classify a text: zero-shot over 'labels' or 'sentiment': true (same JSON as kqa classify --json)");
        DocumentEndpoints.MapDocuments(v1);
        OpenAi.OpenAiEndpoints.MapOpenAiCompatible(v1);
        DocumentDetailEndpoints.MapDocumentDetail(v1);
        // An unknown path (or a known one with the wrong method or body type) under /v1 is still
        // answered in the API's JSON error shape.
        v1.MapFallback(ApiFallback.Handle)
            .ExcludeFromDescription();
    }

    private static async Task<IResult> AskAsync(AskRequest request, KnowledgeApi api, HttpContext context, CancellationToken ct)
    {
        if (!AnswerStream.IsWanted(context.Request))
            return Results.Json(await api.AskAsync(request, ct), ServerJson.Options);
        await AnswerStream.WriteAsync(context.Response, api.AskStreamingAsync(request, ct), api.Show, ct);
        return Results.Empty;
    }
}

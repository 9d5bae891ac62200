using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server.Mcp;

/// <summary>Marks the MCP endpoint, whose POST bodies <see cref="McpRequestScreenMiddleware"/> checks.</summary>
public sealed class McpEndpointMarker
{
    public static readonly McpEndpointMarker Instance = new();
}

/// <summary>
/// MCP over HTTP: answers a POST body that is not one valid JSON-RPC message (<see cref="JsonRpcScreen"/>)
/// with a JSON-RPC error and status 400 before the MCP library reads it, and lets a client cancel
/// its calls (<see cref="McpInFlightRequests"/>). Bodies are small here (bounded by
/// Server:MaxJsonBytes), so reading one twice costs little.
/// </summary>
public sealed class McpRequestScreenMiddleware(RequestDelegate next, McpInFlightRequests inFlight)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || context.GetEndpoint()?.Metadata.GetMetadata<McpEndpointMarker>() is null)
        {
            await next(context);
            return;
        }
        context.Request.EnableBuffering();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        context.Request.Body.Position = 0;
        var message = body.GetBuffer().AsMemory(0, (int)body.Length);
        if (JsonRpcScreen.Check(message) is { } error)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(error), context.RequestAborted);
            return;
        }
        await inFlight.RunAsync(context, message, next);
    }
}

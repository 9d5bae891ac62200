using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Tests;

/// <summary>
/// An OpenAI-compatible chat endpoint on loopback that never answers: it starts a streamed reply
/// and sends only keep-alive comments, so no client timeout ends the request; only the caller
/// giving up does. Tests point a chat model at it to see whether a cancelled or abandoned request
/// really stops the generation on its way (the connection drops).
/// </summary>
public sealed class HeldChatEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HeldChatEndpoint(WebApplication app) => _app = app;

    /// <summary>The base URL to configure as the chat endpoint (…/v1).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Completes when the first chat request arrives.</summary>
    public Task Received => _received.Task;

    /// <summary>Completes when the caller has dropped that request.</summary>
    public Task Abandoned => _abandoned.Task;

    public static async Task<HeldChatEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new HeldChatEndpoint(app);
        app.MapPost("/v1/chat/completions", endpoint.HoldAsync);
        await app.StartAsync();
        endpoint.BaseUrl = app.Urls.Single() + "/v1";
        return endpoint;
    }

    private async Task HoldAsync(HttpContext context)
    {
        _received.TrySetResult();
        try
        {
            context.Response.ContentType = "text/event-stream";
            while (true)
            {
                // An SSE comment: the client's stream parser skips it and keeps waiting for data.
                await context.Response.WriteAsync(": still thinking\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(500, context.RequestAborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            _abandoned.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

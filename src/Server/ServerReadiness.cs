using System.Diagnostics;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Search;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server;

/// <summary>
/// Whether the server has loaded what requests need (embedding model, store, chat model). /healthz
/// answers 503 <c>{"status": "starting"}</c> until it has, then 200 <c>{"status": "ok"}</c>, so a
/// load balancer or an orchestrator's readiness probe sends no traffic to a server still loading.
/// </summary>
public sealed class ServerReadiness
{
    private volatile bool _ready;
    private volatile string? _lastError;

    public bool IsReady => _ready;

    /// <summary>Why the last warm-up attempt failed (it is retried); null when none failed.</summary>
    public string? LastError => _lastError;

    public void MarkReady()
    {
        _lastError = null;
        _ready = true;
    }

    public void MarkFailed(string error) => _lastError = error;

    public IResult Report() => _ready
        ? Results.Json(new HealthReport("ok"), ServerJson.Options)
        : Results.Json(new HealthReport("starting", _lastError), ServerJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);

    public sealed record HealthReport(string Status, string? Error = null);
}

/// <summary>
/// Loads KnowledgeQa's heavy pieces in the background as the server starts: the embedding model
/// (with one query embedded), the store (with one search run, which also loads the lexical
/// analysers) and the chat model. A failed attempt (a store not reachable yet) is retried with
/// backoff; the server keeps answering meanwhile, loading on first use as before.
/// </summary>
public sealed class KnowledgeQaWarmup(IServiceProvider services, ServerSettings settings, ServerReadiness readiness, ILogger<KnowledgeQaWarmup> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.WarmUp)
        {
            readiness.MarkReady();
            return;
        }
        // Off the start-up path: Kestrel listens (and /healthz says "starting") while models load.
        await Task.Yield();
        var backoff = TimeSpan.FromSeconds(1);
        var watch = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                try
                {
                    await WarmUpAsync(stoppingToken);
                    readiness.MarkReady();
                    logger.LogInformation("KnowledgeQa ready after {Seconds:0.0} s (models and store loaded)", watch.Elapsed.TotalSeconds);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    readiness.MarkFailed(e.Message);
                    logger.LogWarning("KnowledgeQa is not ready yet: {Error}; trying again in {Seconds} s", e.Message, backoff.TotalSeconds);
                }
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server is stopping before it was ready.
        }
    }

    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var embeddings = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        await embeddings.GenerateAsync(["warm-up"], cancellationToken: cancellationToken);
        var retriever = services.GetRequiredService<IKnowledgeRetriever>();
        // An English and a Chinese query: the second loads the Chinese word segmenter's dictionary.
        foreach (var query in new[] { "warm up", "預熱" })
            await retriever.SearchAsync(query, new RetrievalOptions { Top = 1 }, cancellationToken);
        services.GetRequiredService<ChatModel>();
        services.GetRequiredService<GroundedAnswerer>();
    }
}

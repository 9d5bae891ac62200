using System.Net;
using System.Text.Json;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.Tests;

/// <summary>/healthz reports readiness: 503 "starting" until the models and the store are loaded, then 200 "ok".</summary>
public sealed class ReadinessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_whose_store_cannot_be_reached_stays_starting_with_the_reason()
    {
        // Nothing listens on port 1: the warm-up's search fails, is retried, and the server never claims to be ready.
        await using var app = KqaServer.Build(
            new ServerSettings { Urls = ["http://127.0.0.1:0"] },
            services => services.AddKnowledgeQa(options =>
            {
                options.Store.Kind = StoreKind.Qdrant;
                options.Store.Qdrant.Url = "http://127.0.0.1:1";
            }),
            logging => logging.SetMinimumLevel(LogLevel.Error));
        await app.StartAsync(Ct);
        using var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(app).Single()) };

        var first = await client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal("starting", (await JsonOf(first)).GetProperty("status").GetString());

        // The failed attempt's reason shows once the first attempt has run into the unreachable store.
        var report = await PollAsync(client, r => r.TryGetProperty("error", out _));
        Assert.Equal("starting", report.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(report.GetProperty("error").GetString()));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_server_becomes_ready_once_its_models_are_loaded()
    {
        using var folder = new TempFolder();
        await using var app = KqaServer.Build(
            new ServerSettings { Urls = ["http://127.0.0.1:0"] },
            services => services.AddKnowledgeQa(options => options.DataDirectory = Path.Combine(folder.Path, "kb")),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync(Ct);
        using var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(app).Single()) };

        var ready = await PollAsync(client, r => r.GetProperty("status").GetString() == "ok");

        Assert.False(ready.TryGetProperty("error", out _));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
        await app.StopAsync(Ct);
    }

    private static async Task<JsonElement> PollAsync(HttpClient client, Func<JsonElement, bool> until)
    {
        // A hang guard, not a timing assertion: model loading takes seconds on a loaded machine.
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(TimeSpan.FromMinutes(3));
        while (true)
        {
            var report = await JsonOf(await client.GetAsync("/healthz", guard.Token));
            if (until(report))
                return report;
            await Task.Delay(100, guard.Token);
        }
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
}

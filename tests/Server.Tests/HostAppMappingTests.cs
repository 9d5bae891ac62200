using System.Net;
using System.Net.Http.Headers;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.Tests;

/// <summary>A host app of its own that maps KnowledgeQa beside its endpoints: the key guards only KnowledgeQa's.</summary>
public sealed class HostAppMappingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_api_key_guards_knowledgeqa_endpoints_and_leaves_the_host_apps_own_alone()
    {
        using var folder = new TempFolder();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddKnowledgeQa(options => options.DataDirectory = Path.Combine(folder.Path, "kb"));
        builder.Services.AddKnowledgeQaServer(new ServerSettings { ApiKey = "host-key" });
        await using var app = builder.Build();
        app.MapGet("/hello", () => Results.Text("hello from the host"));
        app.MapGet("/", () => Results.Text("the host's own home page"));
        app.MapKnowledgeQa();
        await app.StartAsync(Ct);

        using var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(app).Single()) };
        Assert.Equal("hello from the host", await client.GetStringAsync("/hello", Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/documents", Ct)).StatusCode);
        // No key needed for the health check; it may still say "starting" (503) while models load.
        var health = await client.GetAsync("/healthz", Ct);
        Assert.Contains(health.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
        Assert.Contains("\"status\"", await health.Content.ReadAsStringAsync(Ct));
        // The host's own root page wins over the web app's; the app's files are still served, without the key.
        Assert.Equal("the host's own home page", await client.GetStringAsync("/", Ct));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_app/js/main.js", Ct)).StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "host-key");
        var documents = await client.GetAsync("/v1/documents", Ct);
        Assert.Equal(HttpStatusCode.OK, documents.StatusCode);
        Assert.Equal("[]", await documents.Content.ReadAsStringAsync(Ct));

        var unknown = await client.GetAsync("/v1/no-such-endpoint", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("\"error\"", await unknown.Content.ReadAsStringAsync(Ct));
        await app.StopAsync(Ct);
    }
}

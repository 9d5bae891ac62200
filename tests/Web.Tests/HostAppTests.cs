using System.Net;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Web.Tests;

/// <summary>The web app in a host application that maps KnowledgeQa beside its own endpoints.</summary>
public sealed class HostAppTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_host_apps_own_root_page_wins_and_the_apps_files_are_still_served()
    {
        using var folder = new TempFolder();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddKnowledgeQa(options => options.DataDirectory = folder.Path);
        builder.Services.AddKnowledgeQaServer(new ServerSettings());
        await using var app = builder.Build();
        app.MapGet("/", () => Results.Text("the host's own home page"));
        app.MapKnowledgeQa();
        await app.StartAsync(Ct);

        using var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(app).Single()) };
        Assert.Equal("the host's own home page", await client.GetStringAsync("/", Ct));
        var script = await client.GetAsync("/_app/js/main.js", Ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        await app.StopAsync(Ct);
    }
}

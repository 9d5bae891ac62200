using System.Net;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.Tests.OpenAi;

/// <summary>The README's chat-completion example, word for word, against a server holding samples/docs.</summary>
public sealed class ReadmeChatExampleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_readme_follow_up_is_answered_from_the_sample_manual_with_its_source_listed()
    {
        using var folder = new TempFolder();
        await using var app = KqaServer.Build(new ServerSettings { Urls = ["http://127.0.0.1:0"] },
            services => services.AddKnowledgeQa(options => options.DataDirectory = folder.Path),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync(Ct);
        var ingested = await app.Services.GetRequiredService<IngestionPipeline>().IngestAsync([Path.Combine(RepositoryRoot(), "samples", "docs")], cancellationToken: Ct);
        Assert.Equal(0, ingested.Failed);

        using var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(app).Single()) };
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent("""
            {
              "model": "knowledge-base",
              "messages": [
                {"role": "user", "content": "Which charger does the battery use?"},
                {"role": "assistant", "content": "Use only the supplied 4 A charger. [1]"},
                {"role": "user", "content": "How long does that take?"}
              ]}
            """, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var content = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Contains("4.5 hours", content);
        Assert.Contains("\n\n(Extractive answer (no chat model configured))\n\nSources:\n- [1] docs/en/getting-started.md (Aurora A1 owner's guide, Charging the battery)", content);
        var asked = body.GetProperty("knowledge_base").GetProperty("question").GetString()!;
        Assert.EndsWith("How long does that take?", asked);
        Assert.Contains("charger", asked);
        await app.StopAsync(Ct);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "KnowledgeQa.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException("KnowledgeQa.sln not found above " + AppContext.BaseDirectory);
    }
}

using System.Net.Http.Headers;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Web.Tests;

/// <summary>
/// The real kqa server for the browser tests: Kestrel on a free loopback port, the embedded SQLite
/// store, the real ONNX embedding model, an API key, and the README's sample knowledge base
/// (samples/docs, English and Traditional Chinese) ingested with the tag "manual" under the ids
/// `kqa ingest samples/docs` gives them (en/warranty.txt, zh-Hant/電池保養.md, ...), plus the
/// documents of <see cref="WebFixtures"/> (long unbroken Chinese, markup-looking text).
/// </summary>
public class WebAppServer : IAsyncLifetime
{
    public const string ApiKey = "web-test-key-3c9a";

    public TempFolder Folder { get; } = new();
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The key the server requires; null serves without one.</summary>
    protected virtual string? Key => ApiKey;

    /// <summary>The chat model; none gives extractive answers.</summary>
    protected virtual ChatModelOptions? Chat => null;

    public string? RequiredKey => Key;

    public async ValueTask InitializeAsync()
    {
        var data = Path.Combine(Folder.Path, "kb");
        App = KqaServer.Build(
            new ServerSettings { Urls = ["http://127.0.0.1:0"], ApiKey = Key },
            services => services.AddKnowledgeQa(options =>
            {
                options.DataDirectory = data;
                if (Chat is { } chat)
                {
                    options.Chat = chat;
                    // The random-weight model never cites: let its replies through (marked as citing
                    // nothing) so the page's streaming, stop and warning can be seen with a real runtime.
                    options.Answer = options.Answer with { RequireCitations = false };
                }
            }),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await App.StartAsync(TestContext.Current.CancellationToken);
        BaseAddress = new Uri(KqaServer.Addresses(App).Single() + "/");

        await IngestAsync(Path.Combine(AppContext.BaseDirectory, "samples", "docs"), "samples/docs", "manual");
        var fixtures = Path.Combine(Folder.Path, "fixtures");
        WebFixtures.WriteTo(fixtures);
        await IngestAsync(fixtures, "fixtures", "fixture");
        // /healthz answers 503 while the models load, which the page would log as a console error in
        // whichever test came first (seen on a busy CI machine).
        using var client = new HttpClient { BaseAddress = BaseAddress };
        await Readiness.WaitAsync(client, TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Ingests the files of <paramref name="folder"/> with the ids kqa ingest gives them (paths relative
    /// to the folder) and sources relative to the repository, so that no machine path shows on screen.
    /// </summary>
    private async Task IngestAsync(string folder, string sourcePrefix, string tag)
    {
        var ct = TestContext.Current.CancellationToken;
        var readers = App.Services.GetRequiredService<DocumentReaderRegistry>();
        var documents = new List<Document>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var id = Path.GetRelativePath(folder, file).Replace('\\', '/');
            await using var content = File.OpenRead(file);
            documents.Add(await readers.ReadAsync(content, Path.GetFileName(file), id, $"{sourcePrefix}/{id}", ct));
        }
        var summary = await App.Services.GetRequiredService<IngestionPipeline>()
            .IngestDocumentsAsync(documents, new IngestionOptions { Tags = [tag] }, cancellationToken: ct);
        Assert.Equal(0, summary.Failed);
    }

    public HttpClient CreateClient(string? apiKey = ApiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (apiKey is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Folder.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// The same server without an API key and with a chat model: the tiny random-weight ONNX Runtime
/// GenAI model, so answers are generated (gibberish, but streamed token by token through the real runtime).
/// </summary>
public sealed class GenerativeWebAppServer : WebAppServer
{
    protected override string? Key => null;

    protected override ChatModelOptions Chat => new()
    {
        ModelPath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-llama"),
        MaxOutputTokens = 400,
    };
}

using System.Net.Http.Headers;
using System.Text;
using KnowledgeQa.Server;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.Tests;

/// <summary>
/// The real kqa server (Kestrel on a free loopback port, embedded SQLite store, the real ONNX
/// embedding model), started once per test class with two small documents and one bad file uploaded.
/// </summary>
public sealed class RunningServer : IAsyncLifetime
{
    public const string ApiKey = "test-key-4f1c";

    public TempFolder Folder { get; } = new();
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public HttpResponseMessage FirstUpload { get; private set; } = null!;
    public string FirstUploadBody { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var data = Path.Combine(Folder.Path, "kb");
        App = KqaServer.Build(
            new ServerSettings { Urls = ["http://127.0.0.1:0"], ApiKey = ApiKey },
            services => services.AddKnowledgeQa(options => options.DataDirectory = data),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await App.StartAsync(TestContext.Current.CancellationToken);
        BaseAddress = new Uri(KqaServer.Addresses(App).Single());

        using var client = CreateClient();
        FirstUpload = await client.PostAsync("/v1/documents", Upload(
            ("battery.md", Encoding.UTF8.GetBytes(TestDocuments.BatteryText)),
            ("warranty.md", Encoding.UTF8.GetBytes(TestDocuments.WarrantyText)),
            ("broken.bin", [0x00, 0x01, 0x02, 0xFF, 0xFE, 0x00, 0x10, 0x80, 0x00, 0x00])), TestContext.Current.CancellationToken);
        FirstUploadBody = await FirstUpload.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    public HttpClient CreateClient(string? apiKey = ApiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (apiKey is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public static MultipartFormDataContent Upload(params (string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
            form.Add(new ByteArrayContent(bytes), "file", name);
        form.Add(new StringContent("manual"), "tag");
        return form;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Folder.Dispose();
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.Tests;

/// <summary>
/// An upload far over the text limit is refused with the reason, and a large upload leaves the server
/// compacting its heap once it has answered (the memory figures themselves are in bench/KnowledgeQa.Load memory).
/// </summary>
public sealed class LargeUploadMemoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_large_upload_over_the_text_limit_is_refused_and_followed_by_one_compacting_collection()
    {
        using var folder = new TempFolder();
        await using var app = KqaServer.Build(
            new ServerSettings { Urls = ["http://127.0.0.1:0"], CompactMemoryAfterBytes = 1024 * 1024 },
            services => services.AddKnowledgeQa(options =>
            {
                options.DataDirectory = Path.Combine(folder.Path, "kb");
                options.Readers.MaxTextCharacters = 100_000;
            }),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync(Ct);
        using var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(app).Single()) };
        var memory = app.Services.GetRequiredService<LargeRequestMemory>();

        using (var small = Upload("small.txt", "The battery charges in four hours."u8.ToArray()))
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/documents", small, Ct)).StatusCode);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("a line of a long export file\n", 100_000)));
        using var large = Upload("export.txt", text);
        using var response = await client.PostAsync("/v1/documents", large, Ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var failed = report.RootElement.GetProperty("failed")[0];
        Assert.Equal("export.txt", failed.GetProperty("path").GetString());
        Assert.Contains("passes 100,000 characters (ReaderOptions.MaxTextCharacters)", failed.GetProperty("reason").GetString());
        // The collection runs in the background after the response: wait for it (no time is asserted).
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(TimeSpan.FromSeconds(30));
        while (memory.Collections == 0)
            await Task.Delay(50, guard.Token);
        Assert.Equal(1, memory.Collections); // the small upload did not ask for one
    }

    private static MultipartFormDataContent Upload(string name, byte[] bytes) =>
        new() { { new ByteArrayContent(bytes), "file", name } };
}

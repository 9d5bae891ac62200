using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// `kqa serve` as a user starts it: the chat-model flags that `kqa ask` has, the web app's address in
/// the start-up log, and mistakes in its flags as one `kqa: error:` line, never a stack trace.
/// </summary>
public sealed class ServeCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string TinyModel = Path.Combine(KqaProcess.RepositoryRoot, "tests", "Agents.Tests", "Fixtures", "tiny-llama");

    [Fact]
    public async Task Serve_with_model_loads_it_at_start_answers_with_it_and_logs_the_web_app_address()
    {
        using var folder = new TempFolder();
        await using var serve = await KqaServeProcess.StartAsync(folder.Path, new Dictionary<string, string>(),
            ["--data", Path.Combine(folder.Path, "kb"), "serve", "--urls", "http://127.0.0.1:0", "--model", TinyModel], Ct);
        using var client = new HttpClient { BaseAddress = serve.Address };

        Assert.Equal(new Uri(serve.Address, "/"), serve.WebApp);
        using (var page = await client.GetAsync(serve.WebApp, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }
        await Readiness.WaitAsync(client, TimeSpan.FromMinutes(2), Ct);

        var upload = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("A full charge of the X200 takes 4.5 hours.")), "file", "charging.txt" } };
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/documents", upload, Ct)).StatusCode);
        using var ask = await client.PostAsJsonAsync("/v1/ask", new { question = "How long does a full charge of the X200 take?" }, Ct);
        var answer = JsonDocument.Parse(await ask.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.OK, ask.StatusCode);
        // The tiny random-weight model writes gibberish: this checks that --model reached the answers, not the text.
        Assert.Equal("generative", answer.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Serve_with_a_missing_model_folder_fails_with_one_line_before_it_listens()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Path, "no-model");

        var result = await KqaProcess.RunAsync(folder.Path, "--data", Path.Combine(folder.Path, "kb"), "serve", "--urls", "http://127.0.0.1:0", "--model", missing);

        AssertOneErrorLine(result, "no-model");
        Assert.DoesNotContain("listening", result.Stdout);
    }

    [Theory]
    [InlineData("not-an-address", "is not an address")]
    [InlineData("ftp://127.0.0.1:5080", "scheme 'ftp'")]
    public async Task Serve_with_an_address_it_cannot_listen_on_fails_with_one_line(string url, string expected)
    {
        using var folder = new TempFolder();

        var result = await KqaProcess.RunAsync(folder.Path, "--data", Path.Combine(folder.Path, "kb"), "serve", "--urls", url);

        AssertOneErrorLine(result, url);
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public async Task Serve_on_a_port_already_taken_fails_with_one_line()
    {
        using var folder = new TempFolder();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var result = await KqaProcess.RunAsync(folder.Path, "--data", Path.Combine(folder.Path, "kb"), "serve", "--urls", url);

        AssertOneErrorLine(result, url);
        Assert.Contains("already in use", result.Stderr);
    }

    private static void AssertOneErrorLine(KqaProcess.Result result, string named)
    {
        Assert.Equal(1, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("kqa: error: ", line);
        Assert.Contains(named, line);
        Assert.DoesNotContain(" at ", result.Stdout + result.Stderr.Replace(line, ""));
        Assert.DoesNotContain("Exception", result.Stdout + result.Stderr);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// The README's tenant configuration, as `kqa serve` reads it: keys bound to tenants from
/// appsettings.json and from KQA__Server__Keys__N__... environment variables, beside the admin key.
/// </summary>
public sealed partial class ServeTenantKeysTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_from_appsettings_and_the_environment_confine_uploads_and_listing_to_their_tenant()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(Path.Combine(folder.Path, "appsettings.json"),
            """{"KnowledgeQa": {"Server": {"ApiKey": "ADMIN-KEY", "Keys": [{"Key": "ACME-KEY", "Tenant": "acme"}]}}}""", Ct);
        // The environment adds a second tenant key after the one from appsettings.json.
        var environment = new Dictionary<string, string> { ["KQA__Server__Keys__1__Key"] = "GLOBEX-KEY", ["KQA__Server__Keys__1__Tenant"] = "globex" };
        var start = KqaProcess.StartInfo(folder.Path, environment, "--data", Path.Combine(folder.Path, "kb"), "serve", "--urls", "http://127.0.0.1:0");

        using var serve = Process.Start(start)!;
        try
        {
            serve.ErrorDataReceived += (_, _) => { };
            serve.BeginErrorReadLine();
            using var client = new HttpClient { BaseAddress = await ListeningAddressAsync(serve) };

            Assert.Equal(HttpStatusCode.OK, (await UploadAsync(client, "ACME-KEY", "acme.txt", "Acme's ferry leaves at 23:40.")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await UploadAsync(client, "GLOBEX-KEY", "globex.txt", "Globex's ferry leaves at 06:15.")).StatusCode);

            Assert.Equal(["acme.txt"], await ListAsync(client, "ACME-KEY"));
            Assert.Equal(["globex.txt"], await ListAsync(client, "GLOBEX-KEY"));
            Assert.Equal(["acme.txt", "globex.txt"], await ListAsync(client, "ADMIN-KEY"));
            using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/documents");
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "acme");
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong, Ct)).StatusCode);
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<Uri> ListeningAddressAsync(Process serve)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(TimeSpan.FromMinutes(2));
        while (await serve.StandardOutput.ReadLineAsync(guard.Token) is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                // Drain the rest of the log so that the process never blocks on a full pipe.
                _ = serve.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return new Uri(match.Groups[1].Value);
            }
        }
        throw new InvalidOperationException("kqa serve ended before it listened");
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string key, string name, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/documents")
        {
            Content = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(text)), "file", name } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await client.SendAsync(request, Ct);
    }

    private static async Task<List<string>> ListAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/documents");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var body = await (await client.SendAsync(request, Ct)).Content.ReadAsStringAsync(Ct);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.EnumerateArray().Select(d => d.GetProperty("documentId").GetString()!).Order().ToList();
    }

    [GeneratedRegex(@"kqa serve listening on (http://[^,\s]+)")]
    private static partial Regex Listening();
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// The README's tenant configuration, as `kqa serve` reads it: keys bound to tenants from
/// appsettings.json and from KQA__Server__Keys__N__... environment variables, beside the admin key.
/// </summary>
public sealed class ServeTenantKeysTests
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
        await using var serve = await KqaServeProcess.StartAsync(folder.Path, environment,
            ["--data", Path.Combine(folder.Path, "kb"), "serve", "--urls", "http://127.0.0.1:0"], Ct);
        using var client = new HttpClient { BaseAddress = serve.Address };

        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(client, "ACME-KEY", "acme.txt", "Acme's ferry leaves at 23:40.")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(client, "GLOBEX-KEY", "globex.txt", "Globex's ferry leaves at 06:15.")).StatusCode);

        Assert.Equal(["upload/acme.txt"], await ListAsync(client, "ACME-KEY"));
        Assert.Equal(["upload/globex.txt"], await ListAsync(client, "GLOBEX-KEY"));
        Assert.Equal(["upload/acme.txt", "upload/globex.txt"], await ListAsync(client, "ADMIN-KEY"));
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/documents");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "acme");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong, Ct)).StatusCode);
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
}

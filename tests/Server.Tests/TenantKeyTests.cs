using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace KnowledgeQa.Server.Tests;

/// <summary>API keys bound to tenants: the server applies the tenant on every route and MCP tool, so a key never sees another tenant's documents.</summary>
public sealed class TenantKeyTests(TenantServer server) : IClassFixture<TenantServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private async Task<List<string>> DocumentIdsAsync(string key)
    {
        using var client = server.CreateClient(key);
        return (await JsonOf(await client.GetAsync("/v1/documents", Ct))).EnumerateArray().Select(d => d.GetProperty("documentId").GetString()!).Order().ToList();
    }

    [Fact]
    public async Task A_tenant_key_lists_only_its_tenants_documents_and_the_admin_key_lists_all()
    {
        Assert.Equal(["upload/acme-plan.txt"], await DocumentIdsAsync(TenantServer.AcmeKey));
        Assert.Equal(["upload/globex-plan.txt"], await DocumentIdsAsync(TenantServer.GlobexKey));
        Assert.Superset(new HashSet<string> { "upload/acme-plan.txt", "upload/globex-plan.txt", "upload/public-timetable.txt" }, (await DocumentIdsAsync(TenantServer.AdminKey)).ToHashSet());
    }

    [Fact]
    public async Task Search_and_ask_with_a_tenant_key_use_only_its_tenants_passages()
    {
        using var acme = server.CreateClient(TenantServer.AcmeKey);
        var hits = await JsonOf(await acme.PostAsJsonAsync("/v1/search", new { query = "ferry plan pier", top = 10 }, Ct));
        Assert.Equal(["upload/acme-plan.txt"], hits.EnumerateArray().Select(h => h.GetProperty("documentId").GetString()).Distinct());

        var answer = await JsonOf(await acme.PostAsJsonAsync("/v1/ask", new { question = "When does the ferry leave?" }, Ct));
        Assert.All(answer.GetProperty("citations").EnumerateArray(), c => Assert.Equal("upload/acme-plan.txt", c.GetProperty("documentId").GetString()));
        Assert.DoesNotContain("06:15", answer.GetProperty("answer").GetString());

        using var admin = server.CreateClient(TenantServer.AdminKey);
        var all = await JsonOf(await admin.PostAsJsonAsync("/v1/search", new { query = "ferry plan pier", top = 10 }, Ct));
        Assert.Contains(all.EnumerateArray(), h => h.GetProperty("documentId").GetString() == "upload/globex-plan.txt");
    }

    [Fact]
    public async Task A_tenant_key_cannot_read_delete_or_replace_another_tenants_document()
    {
        using var globex = server.CreateClient(TenantServer.GlobexKey);
        Assert.Equal(HttpStatusCode.NotFound, (await globex.GetAsync("/v1/documents/upload/acme-plan.txt", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await globex.GetAsync("/v1/documents/upload/globex-plan.txt", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await globex.DeleteAsync("/v1/documents/upload/acme-plan.txt", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await globex.DeleteAsync("/v1/documents/upload/public-timetable.txt", Ct)).StatusCode);

        var overwrite = await server.UploadAsync(TenantServer.GlobexKey, "acme-plan.txt", "Globex now owns this plan.");
        var report = await JsonOf(overwrite);
        Assert.Equal(0, report.GetProperty("added").GetInt32() + report.GetProperty("replaced").GetInt32());
        Assert.Contains("another tenant", Assert.Single(report.GetProperty("failed").EnumerateArray()).GetProperty("reason").GetString());

        Assert.Equal(["upload/acme-plan.txt"], await DocumentIdsAsync(TenantServer.AcmeKey));
        using var acme = server.CreateClient(TenantServer.AcmeKey);
        var hits = await JsonOf(await acme.PostAsJsonAsync("/v1/search", new { query = "ferry plan" }, Ct));
        Assert.Contains("23:40", hits[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_tenant_key_uploads_into_its_own_tenant_and_may_not_name_another()
    {
        var refused = await server.UploadAsync(TenantServer.AcmeKey, "acme-extra.txt", "Acme's spare ferry.", tenant: "globex");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("tenant", (await JsonOf(refused)).GetProperty("error").GetString());

        var stored = await server.UploadAsync(TenantServer.AcmeKey, "acme-notes.txt", "Acme's notes about the ferry crew.");
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        using var admin = server.CreateClient(TenantServer.AdminKey);
        var documents = (await JsonOf(await admin.GetAsync("/v1/documents", Ct))).EnumerateArray();
        Assert.Equal("acme", documents.Single(d => d.GetProperty("documentId").GetString() == "upload/acme-notes.txt").GetProperty("tenant").GetString());

        using var acme = server.CreateClient(TenantServer.AcmeKey);
        Assert.Equal(HttpStatusCode.OK, (await acme.DeleteAsync("/v1/documents/upload/acme-notes.txt", Ct)).StatusCode);
    }

    [Fact]
    public async Task Mcp_tools_with_a_tenant_key_see_only_its_tenant()
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.BaseAddress, "/mcp"),
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + TenantServer.GlobexKey },
        }), cancellationToken: Ct);

        var listed = await client.CallToolAsync("list_documents", new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Equal(["upload/globex-plan.txt"], Json(listed).EnumerateArray().Select(d => d.GetProperty("id").GetString()));

        var searched = await client.CallToolAsync("search", new Dictionary<string, object?> { ["query"] = "ferry plan pier", ["top"] = 10 }, cancellationToken: Ct);
        Assert.Equal(["upload/globex-plan.txt"], Json(searched).EnumerateArray().Select(h => h.GetProperty("documentId").GetString()).Distinct());

        var asked = await client.CallToolAsync("ask", new Dictionary<string, object?> { ["question"] = "When does the ferry leave?" }, cancellationToken: Ct);
        Assert.All(Json(asked).GetProperty("citations").EnumerateArray(), c => Assert.Equal("upload/globex-plan.txt", c.GetProperty("documentId").GetString()));
    }

    private static JsonElement Json(CallToolResult result)
    {
        Assert.NotEqual(true, result.IsError);
        return JsonDocument.Parse(Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text).RootElement;
    }
}

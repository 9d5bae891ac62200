using System.Net.Http.Headers;
using System.Text;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.Tests;

/// <summary>
/// A real server with an admin key and two tenant keys; each tenant key has uploaded one document,
/// and the admin one untenanted document. All three mention ferries, so a search finds every one
/// unless the tenant filter holds.
/// </summary>
public sealed class TenantServer : IAsyncLifetime
{
    public const string AdminKey = "admin-key-91";
    public const string AcmeKey = "acme-key-27";
    public const string GlobexKey = "globex-key-55";

    public TempFolder Folder { get; } = new();
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var data = Path.Combine(Folder.Path, "kb");
        App = KqaServer.Build(
            new ServerSettings
            {
                Urls = ["http://127.0.0.1:0"],
                ApiKey = AdminKey,
                Keys = [new TenantKey { Key = AcmeKey, Tenant = "acme" }, new TenantKey { Key = GlobexKey, Tenant = "globex" }],
            },
            services => services.AddKnowledgeQa(options => options.DataDirectory = data),
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await App.StartAsync(TestContext.Current.CancellationToken);
        BaseAddress = new Uri(KqaServer.Addresses(App).Single());

        await UploadAsync(AcmeKey, "acme-plan.txt", "Acme's ferry plan: the night ferry leaves at 23:40 from pier 4.");
        await UploadAsync(GlobexKey, "globex-plan.txt", "Globex's ferry plan: the morning ferry leaves at 06:15 from pier 9.");
        await UploadAsync(AdminKey, "public-timetable.txt", "The public ferry timetable lists every ferry of the harbour.");
    }

    public HttpClient CreateClient(string key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task<HttpResponseMessage> UploadAsync(string key, string name, string text, string? tenant = null)
    {
        using var client = CreateClient(key);
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(text)), "file", name } };
        if (tenant is not null)
            form.Add(new StringContent(tenant), "tenant");
        return await client.PostAsync("/v1/documents", form, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Folder.Dispose();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.Tests;

/// <summary>
/// Uploads that name their documents: paths and sources, ids that never collide silently, honest
/// counts under concurrency, folder sources protected, and store errors answered as JSON; each
/// on a real server (Kestrel on loopback, real store, real embedding model).
/// </summary>
public sealed class DocumentSyncApiTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static MultipartFormDataContent Form(params (string FileName, string Text)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, text) in files)
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
            // The file name as a browser or curl sends it, folders and all (no RFC 5987 rewriting).
            content.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"file\"", FileName = $"\"{name}\"" };
            form.Add(content);
        }
        return form;
    }

    [Fact]
    public async Task A_file_name_with_folders_becomes_a_nested_id_that_delete_takes()
    {
        using var client = server.CreateClient();
        var upload = await client.PostAsync("/v1/documents", Form(("guides/setup/first steps.md", "# First steps\n\nCharge the battery before the first ride.")), Ct);

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var entry = (await JsonOf(upload)).GetProperty("documents")[0];
        Assert.Equal("upload/guides/setup/first steps.md", entry.GetProperty("documentId").GetString());
        Assert.Equal("upload", entry.GetProperty("sourceName").GetString());

        var deleted = await client.DeleteAsync("/v1/documents/upload/guides/setup/" + Uri.EscapeDataString("first steps.md"), Ct);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("upload/guides/setup/first steps.md", (await JsonOf(deleted)).GetProperty("deleted").GetString());
        var again = await client.DeleteAsync("/v1/documents/upload/guides/setup/" + Uri.EscapeDataString("first steps.md"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains("first steps.md", (await JsonOf(again)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Path_parts_and_a_source_name_the_documents()
    {
        using var client = server.CreateClient();
        var form = Form(("a.md", "Alpha notes on the frame."), ("a.md", "Another alpha, on the fork."));
        form.Add(new StringContent("team/a.md"), "path");
        form.Add(new StringContent("other team/a.md"), "path");
        form.Add(new StringContent("wiki-export"), "source");

        var upload = await client.PostAsync("/v1/documents", form, Ct);

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(["wiki-export/other team/a.md", "wiki-export/team/a.md"],
            (await JsonOf(upload)).GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("documentId").GetString()).Order());
        var listed = (await JsonOf(await client.GetAsync("/v1/documents", Ct))).EnumerateArray()
            .Where(d => d.TryGetProperty("sourceName", out var s) && s.GetString() == "wiki-export").ToList();
        Assert.Equal(2, listed.Count);

        var mismatched = Form(("x.md", "x"), ("y.md", "y"));
        mismatched.Add(new StringContent("only-one.md"), "path");
        var refused = await client.PostAsync("/v1/documents", mismatched, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("'path'", (await JsonOf(refused)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Two_files_with_one_name_in_an_upload_are_one_added_and_one_failed()
    {
        using var client = server.CreateClient();
        var upload = await client.PostAsync("/v1/documents", Form(("same-name.md", "The first file with this name."), ("same-name.md", "The second file with this name.")), Ct);

        Assert.Equal(HttpStatusCode.MultiStatus, upload.StatusCode);
        var report = await JsonOf(upload);
        Assert.Equal(1, report.GetProperty("added").GetInt32());
        var failed = Assert.Single(report.GetProperty("failed").EnumerateArray());
        Assert.Contains("upload/same-name.md", failed.GetProperty("reason").GetString());
        var stored = (await JsonOf(await client.GetAsync("/v1/documents", Ct))).EnumerateArray()
            .Count(d => d.GetProperty("documentId").GetString() == "upload/same-name.md");
        Assert.Equal(1, stored);
    }

    [Fact]
    public async Task Sixteen_concurrent_uploads_of_one_file_are_one_added_and_the_rest_unchanged()
    {
        using var client = server.CreateClient();
        var text = "A file sent sixteen times at once: the hotline is open on weekdays from nine to five.";

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.PostAsync("/v1/documents", Form(("concurrent.md", text)), Ct)));

        var reports = await Task.WhenAll(responses.Select(JsonOf));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, reports.Sum(r => r.GetProperty("added").GetInt32()));
        Assert.Equal(15, reports.Sum(r => r.GetProperty("unchanged").GetInt32()));
        Assert.Equal(0, reports.Sum(r => r.GetProperty("replaced").GetInt32()));
    }

    [Fact]
    public async Task An_upload_into_a_folder_source_is_a_409_unless_overwrite_is_asked_for()
    {
        var folder = Path.Combine(server.Folder.Path, "handbook");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "rules.md"), "Rules kept in a folder.", Ct);
        await server.App.Services.GetRequiredService<IngestionPipeline>().IngestAsync([folder], cancellationToken: Ct);
        using var client = server.CreateClient();

        var form = Form(("rules.md", "Rules from an upload."));
        form.Add(new StringContent("handbook"), "source");
        var refused = await client.PostAsync("/v1/documents", form, Ct);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var error = (await JsonOf(refused)).GetProperty("error").GetString();
        Assert.Contains(folder, error);
        Assert.Contains("overwrite=true", error);

        var forced = Form(("rules.md", "Rules from an upload."));
        forced.Add(new StringContent("handbook"), "source");
        forced.Add(new StringContent("true"), "overwrite");
        var written = await client.PostAsync("/v1/documents", forced, Ct);
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        Assert.Equal(1, (await JsonOf(written)).GetProperty("replaced").GetInt32());
    }

    [Fact]
    public async Task A_path_that_climbs_out_is_reported_failed()
    {
        using var client = server.CreateClient();
        var upload = await client.PostAsync("/v1/documents", Form(("../../etc/passwd.md", "Not a way out."), ("fine.md", "Fine.")), Ct);

        Assert.Equal(HttpStatusCode.MultiStatus, upload.StatusCode);
        Assert.Contains("..", Assert.Single((await JsonOf(upload)).GetProperty("failed").EnumerateArray()).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_full_store_is_a_507_with_the_error_and_what_went_in()
    {
        await using var own = await OwnServer.StartAsync(options => options.Store.MaxSizeBytes = 300 * 1024);
        var files = Enumerable.Range(0, 20)
            .Select(i => ($"note-{i}.md", string.Join("\n\n", Enumerable.Range(0, 60).Select(p => $"Note {i}, paragraph {p}: shelf {p} of aisle {i} holds part {i * 100 + p}."))))
            .ToArray();

        var response = await own.Client.PostAsync("/v1/documents", Form(files), Ct);

        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        var body = await JsonOf(response);
        Assert.Contains("size limit", body.GetProperty("error").GetString());
        var report = body.GetProperty("report");
        Assert.True(report.GetProperty("added").GetInt32() > 0);
        Assert.True(report.GetProperty("unfinished").GetInt32() > 0);
    }

    [Fact]
    public async Task A_store_another_process_holds_is_a_503_with_retry_after()
    {
        await using var own = await OwnServer.StartAsync(options => options.Store.BusyTimeout = TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await own.Client.PostAsync("/v1/documents", Form(("first.md", "First.")), Ct)).StatusCode);

        await using var holder = new SqliteConnection($"Data Source={own.StorePath};Pooling=False");
        await holder.OpenAsync(Ct);
        await using (var transaction = holder.BeginTransaction(deferred: false))
        {
            var upload = await own.Client.PostAsync("/v1/documents", Form(("second.md", "Second.")), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, upload.StatusCode);
            Assert.True(upload.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Contains("locked by another process", (await JsonOf(upload)).GetProperty("error").GetString());

            var delete = await own.Client.DeleteAsync("/v1/documents/upload/first.md", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, delete.StatusCode);
            Assert.NotNull(delete.Headers.RetryAfter);
            Assert.Contains("locked", (await JsonOf(delete)).GetProperty("error").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await own.Client.PostAsync("/v1/documents", Form(("second.md", "Second.")), Ct)).StatusCode);
    }

    [Fact]
    public async Task A_served_folder_is_watched_and_its_changes_reach_the_api()
    {
        using var docs = new TempFolder();
        await File.WriteAllTextAsync(Path.Combine(docs.Path, "first.md"), "The first watched note.", Ct);
        await using var own = await OwnServer.StartAsync(_ => { }, services => services.AddKnowledgeQaFolderWatch(
            [docs.Path], new FolderWatchOptions { Quiet = TimeSpan.FromMilliseconds(300) }));
        var source = Path.GetFileName(docs.Path);

        await UntilListedAsync(own.Client, ids => ids.Contains($"{source}/first.md"));
        await File.WriteAllTextAsync(Path.Combine(docs.Path, "second.md"), "The second watched note.", Ct);
        File.Delete(Path.Combine(docs.Path, "first.md"));
        await UntilListedAsync(own.Client, ids => ids.SequenceEqual([$"{source}/second.md"]));
    }

    private static async Task UntilListedAsync(HttpClient client, Func<List<string>, bool> condition)
    {
        var ids = new List<string>();
        // Generous: only the condition ends the wait in a passing run.
        for (var i = 0; i < 600; i++)
        {
            ids = (await JsonOf(await client.GetAsync("/v1/documents", Ct))).EnumerateArray().Select(d => d.GetProperty("documentId").GetString()!).Order().ToList();
            if (condition(ids))
                return;
            await Task.Delay(100, Ct);
        }
        Assert.Fail("the documents never matched; listed: " + string.Join(", ", ids));
    }

    /// <summary>A server of the test's own, for store settings the shared one must not have.</summary>
    private sealed class OwnServer : IAsyncDisposable
    {
        private readonly TempFolder _folder = new();
        private WebApplication _app = null!;

        public HttpClient Client { get; private set; } = null!;

        public string StorePath => Path.Combine(_folder.Path, "kb", "knowledge.db");

        public static async Task<OwnServer> StartAsync(Action<KnowledgeQaOptions> configure, Action<IServiceCollection>? services = null)
        {
            var own = new OwnServer();
            own._app = KqaServer.Build(
                new ServerSettings { Urls = ["http://127.0.0.1:0"] },
                collection =>
                {
                    collection.AddKnowledgeQa(options =>
                    {
                        options.DataDirectory = Path.Combine(own._folder.Path, "kb");
                        configure(options);
                    });
                    services?.Invoke(collection);
                },
                logging => logging.SetMinimumLevel(LogLevel.Critical));
            await own._app.StartAsync(Ct);
            own.Client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(own._app).Single()) };
            return own;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
            _folder.Dispose();
        }
    }
}

namespace KnowledgeQa.Cli.Tests;

/// <summary>Ingest, replace and delete through the real kqa program on a store of its own.</summary>
public sealed class IngestCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Data => Path.Combine(_folder.Path, "kb");
    private string Docs => Path.Combine(_folder.Path, "docs");

    public void Dispose() => _folder.Dispose();

    private Task<KqaProcess.Result> Kqa(params string[] args) => KqaProcess.RunAsync(_folder.Path, ["--data", Data, .. args]);

    [Fact]
    public async Task A_bad_file_is_reported_and_the_rest_of_the_batch_goes_in()
    {
        Directory.CreateDirectory(Docs);
        await File.WriteAllTextAsync(Path.Combine(Docs, "good.md"), "# Tea\n\nGreen tea is steeped at 80 degrees for two minutes.", TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(Docs, "broken.txt"), [0x00, 0xFF, 0x00, 0x13, 0x37, 0x00, 0x00, 0xC3, 0x28, 0x00], TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(Docs, "empty.txt"), "   \n\n ", TestContext.Current.CancellationToken);

        var result = await Kqa("ingest", Docs, "--json");

        Assert.NotEqual(0, result.ExitCode);
        var report = result.Json;
        Assert.Equal(1, report.GetProperty("added").GetInt32());
        var failed = report.GetProperty("failed").EnumerateArray()
            .ToDictionary(f => Path.GetFileName(f.GetProperty("path").GetString()!), f => f.GetProperty("reason").GetString());
        Assert.Equal(["broken.txt", "empty.txt"], failed.Keys.Order());
        Assert.All(failed.Values, reason => Assert.False(string.IsNullOrWhiteSpace(reason)));

        var search = await Kqa("search", "green tea temperature", "--json");
        Assert.Equal("docs/good.md", search.Json[0].GetProperty("documentId").GetString());
    }

    [Fact]
    public async Task A_changed_document_replaces_its_chunks_and_delete_removes_it()
    {
        Directory.CreateDirectory(Docs);
        var file = Path.Combine(Docs, "notes.txt");
        await File.WriteAllTextAsync(file, "The meeting room on floor three is called Orion.", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(Docs, "other.txt"), "Parking is available under the building.", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await Kqa("ingest", Docs)).ExitCode);

        await File.WriteAllTextAsync(file, "The meeting room on floor three is called Vega since the renovation.", TestContext.Current.CancellationToken);
        var second = await Kqa("ingest", Docs, "--json");
        Assert.Equal(1, second.Json.GetProperty("replaced").GetInt32());
        Assert.Equal(1, second.Json.GetProperty("unchanged").GetInt32());

        var hits = (await Kqa("search", "meeting room floor three", "--json", "--mode", "lexical")).Json.EnumerateArray()
            .Where(h => h.GetProperty("documentId").GetString() == "docs/notes.txt").ToList();
        Assert.Single(hits);
        Assert.Contains("Vega", hits[0].GetProperty("text").GetString());

        var delete = await Kqa("delete", "docs/notes.txt");
        Assert.Equal(0, delete.ExitCode);
        var after = await Kqa("search", "meeting room Vega", "--json", "--mode", "lexical");
        Assert.DoesNotContain(after.Json.EnumerateArray(), h => h.GetProperty("documentId").GetString() == "docs/notes.txt");

        var again = await Kqa("delete", "docs/notes.txt");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("notes.txt", again.Stderr);
    }
}

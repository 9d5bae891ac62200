namespace KnowledgeQa.Cli.Tests;

/// <summary>The reader and chunking settings the README documents, through the real kqa program.</summary>
public sealed class ReaderSettingsCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Data => Path.Combine(_folder.Path, "kb");
    private string Docs => Path.Combine(_folder.Path, "docs");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    private Task<KqaProcess.Result> Kqa(params string[] args) => KqaProcess.RunAsync(_folder.Path, ["--data", Data, .. args]);

    [Fact]
    public async Task Readers_limits_from_appsettings_refuse_a_file_naming_it_and_the_option_and_chunks_stay_bounded()
    {
        Directory.CreateDirectory(Docs);
        await File.WriteAllTextAsync(Path.Combine(_folder.Path, "appsettings.json"),
            """{ "KnowledgeQa": { "Readers": { "MaxTextCharacters": 5000 }, "Chunking": { "MaxCharacters": 300 } } }""", Ct);
        await File.WriteAllTextAsync(Path.Combine(Docs, "big.txt"), string.Concat(Enumerable.Repeat("Too much text here. ", 500)), Ct);
        await File.WriteAllTextAsync(Path.Combine(Docs, "guide.md"),
            "# Charging {#charging}\n\n::: tip Battery care\nCharge the battery fully once a month.\n:::\n\n" +
            string.Concat(Enumerable.Repeat("Keep the battery cool while charging it overnight. ", 20)) + "\n", Ct);

        var result = await Kqa("ingest", Docs, "--json");

        var failed = result.Json.GetProperty("failed").EnumerateArray().Single();
        Assert.EndsWith("big.txt", failed.GetProperty("path").GetString());
        Assert.Contains("ReaderOptions.MaxTextCharacters", failed.GetProperty("reason").GetString());
        var hits = (await Kqa("search", "battery", "--json", "--mode", "lexical", "--top", "20")).Json.EnumerateArray().ToList();
        // 1,020 characters of one paragraph fit the 256 tokens, not the 300 characters: the paragraph is cut.
        Assert.InRange(hits.Count, 4, 20);
        Assert.Contains(hits, hit => hit.GetProperty("text").GetString()!.StartsWith("Charging\n\nBattery care\n\nCharge the battery fully once a month."));
        Assert.All(hits, hit =>
        {
            var text = hit.GetProperty("text").GetString()!;
            Assert.InRange(text.Length, 1, 300);
            Assert.DoesNotContain("{#", text);
            Assert.DoesNotContain(":::", text);
            Assert.Equal(["Charging"], hit.GetProperty("headings").EnumerateArray().Select(h => h.GetString()));
        });
    }
}

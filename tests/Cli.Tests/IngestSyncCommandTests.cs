using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// kqa ingest keeping a folder in step, through the real kqa program: ids with source names,
/// collisions refused, pruning, exit codes a script can act on, store errors as one line with the
/// report still printed, and --watch.
/// </summary>
public sealed class IngestSyncCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Data => Path.Combine(_folder.Path, "kb");

    public void Dispose() => _folder.Dispose();

    private Task<KqaProcess.Result> Kqa(params string[] args) => KqaProcess.RunAsync(_folder.Path, ["--data", Data, .. args]);

    private Task<KqaProcess.Result> Kqa(Dictionary<string, string> environment, params string[] args) =>
        KqaProcess.RunAsync(_folder.Path, environment, ["--data", Data, .. args]);

    private string Write(string relativePath, string text)
    {
        var path = Path.Combine(_folder.Path, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_path_that_does_not_exist_is_an_error_with_one_line()
    {
        var result = await Kqa("ingest", Path.Combine(_folder.Path, "no-such-folder"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("kqa: error: ", result.Stderr);
        Assert.Contains("does not exist", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Two_folders_with_one_name_are_kept_apart_only_when_asked_and_docs_shows_the_source()
    {
        Write("projA/docs/README.md", "Project A: the blue team owns the billing service.");
        Write("projB/docs/README.md", "Project B: the red team owns the search service.");
        Assert.Equal(0, (await Kqa("ingest", Path.Combine(_folder.Path, "projA", "docs"))).ExitCode);

        var refused = await Kqa("ingest", Path.Combine(_folder.Path, "projB", "docs"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(Path.Combine(_folder.Path, "projA", "docs"), refused.Stderr);
        Assert.Contains(Path.Combine(_folder.Path, "projB", "docs"), refused.Stderr);
        Assert.Contains("--source", refused.Stderr);

        Assert.Equal(0, (await Kqa("ingest", Path.Combine(_folder.Path, "projB", "docs"), "--source", "projB-docs")).ExitCode);
        var docs = await Kqa("docs", "--json");
        Assert.Equal(
            [("docs/README.md", "docs"), ("projB-docs/README.md", "projB-docs")],
            docs.Json.EnumerateArray().Select(d => (d.GetProperty("documentId").GetString(), d.GetProperty("sourceName").GetString())));
        var text = await Kqa("docs");
        Assert.Contains($"docs  folder {Path.Combine(_folder.Path, "projA", "docs")}, 1 documents", text.Stdout);
        Assert.Contains("projB-docs  folder", text.Stdout);
        Assert.Contains("  projB-docs/README.md", text.Stdout);
    }

    [Fact]
    public async Task Deleted_files_are_removed_and_counted_unless_no_prune_and_tags_stay()
    {
        var docs = Path.Combine(_folder.Path, "docs");
        Write("docs/keep.md", "The office opens at eight.");
        Write("docs/gone.md", "The canteen closes at three.");
        Write("docs/later.md", "Parking is on level two.");
        Assert.Equal(0, (await Kqa("ingest", docs, "--tag", "handbook")).ExitCode);

        File.Delete(Path.Combine(docs, "gone.md"));
        var text = await Kqa("ingest", docs);
        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("0 added, 0 replaced, 2 unchanged, 1 removed, 0 failed, 0 skipped", text.Stdout);

        File.Delete(Path.Combine(docs, "later.md"));
        var kept = await Kqa("ingest", docs, "--no-prune", "--json");
        Assert.Equal(0, kept.Json.GetProperty("removed").GetInt32());
        var pruned = await Kqa("ingest", docs, "--json");
        Assert.Equal(1, pruned.Json.GetProperty("removed").GetInt32());
        Assert.Contains(pruned.Json.GetProperty("documents").EnumerateArray(),
            d => d.GetProperty("documentId").GetString() == "docs/later.md" && d.GetProperty("outcome").GetString() == "removed");

        var listed = (await Kqa("docs", "--json")).Json.EnumerateArray().ToList();
        var only = Assert.Single(listed);
        Assert.Equal("docs/keep.md", only.GetProperty("documentId").GetString());
        Assert.Equal(["handbook"], only.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task The_exit_status_tells_new_failures_from_old_ones_and_skipped_files_are_summarised()
    {
        var docs = Path.Combine(_folder.Path, "docs");
        Write("docs/good.md", "Green tea is steeped at 80 degrees.");
        File.WriteAllBytes(Write("docs/broken.txt", ""), [0x00, 0xFF, 0x00, 0x13, 0x37, 0x00, 0x00, 0xC3, 0x28, 0x00]);
        Write("docs/app.js", "console.log(1)");
        Write("docs/lib.js", "console.log(2)");
        Write("docs/logo.png", "not really a png");

        var first = await Kqa("ingest", docs);
        var second = await Kqa("ingest", docs);
        var verbose = await Kqa("ingest", docs, "--verbose");
        File.WriteAllBytes(Path.Combine(docs, "broken.txt"), [0x00, 0x01, 0x02, 0xFF, 0xFE, 0x00, 0x10, 0x80, 0x00, 0x00]);
        var changed = await Kqa("ingest", docs);
        File.Delete(Path.Combine(docs, "broken.txt"));
        var clean = await Kqa("ingest", docs);

        Assert.Equal(2, first.ExitCode);
        Assert.Contains("  failed: " + Path.Combine(docs, "broken.txt"), first.Stdout);
        Assert.Contains("3 skipped: unsupported type (.js 2, .png 1) (--verbose lists them)", first.Stdout);
        Assert.DoesNotContain("app.js", first.Stdout);

        Assert.Equal(3, second.ExitCode);
        Assert.Contains("1 failed as before", second.Stdout);
        Assert.DoesNotContain("  failed: ", second.Stdout);

        Assert.Equal(3, verbose.ExitCode);
        Assert.Contains("  failed (as before): " + Path.Combine(docs, "broken.txt"), verbose.Stdout);
        Assert.Contains("  skipped: " + Path.Combine(docs, "app.js"), verbose.Stdout);

        Assert.Equal(2, changed.ExitCode);
        Assert.Equal(0, clean.ExitCode);
    }

    [Fact]
    public async Task The_help_documents_the_exit_codes()
    {
        var help = await Kqa("ingest", "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Exit status: 0 everything went in", help.Stdout);
        Assert.Contains("3 only files that failed before", help.Stdout);
    }

    [Fact]
    public async Task A_full_store_prints_what_went_in_then_one_error_line()
    {
        var docs = Path.Combine(_folder.Path, "docs");
        for (var i = 0; i < 30; i++)
            Write($"docs/note-{i:D2}.md", string.Join("\n\n", Enumerable.Range(0, 60).Select(p => $"Note {i} paragraph {p}: the {p}th shelf of aisle {i} holds spare parts number {i * 100 + p}.")));

        var result = await Kqa(new Dictionary<string, string> { ["KQA__Store__MaxSizeBytes"] = "350000" }, "ingest", docs, "--json");

        Assert.Equal(1, result.ExitCode);
        var report = result.Json;
        Assert.True(report.GetProperty("added").GetInt32() > 0);
        Assert.True(report.GetProperty("unfinished").GetInt32() > 0);
        Assert.Contains("size limit", report.GetProperty("error").GetString());
        // Progress lines may come first on stderr (this run takes a while); the error is one line, the last.
        var errors = result.Stderr.Trim().Split('\n').Where(l => l.StartsWith("kqa: error: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["kqa: error: " + report.GetProperty("error").GetString()], errors);
        Assert.EndsWith(errors[0], result.Stderr.Trim());
    }

    [Fact]
    public async Task A_store_another_process_holds_is_one_line_that_names_the_holder()
    {
        var docs = Path.Combine(_folder.Path, "docs");
        Write("docs/a.md", "Alpha.");
        Assert.Equal(0, (await Kqa("ingest", docs)).ExitCode);
        Write("docs/b.md", "Beta.");

        await using var holder = new SqliteConnection($"Data Source={Path.Combine(Data, "knowledge.db")};Pooling=False");
        await holder.OpenAsync(Ct);
        await using var transaction = holder.BeginTransaction(deferred: false);
        var result = await Kqa(new Dictionary<string, string> { ["KQA__Store__BusyTimeout"] = "00:00:02" }, "ingest", docs);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("0 added", result.Stdout);
        var error = Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("kqa: error: ", StringComparison.Ordinal));
        Assert.Contains("locked by another process", error);
        if (OperatingSystem.IsLinux())
            Assert.Contains($"pid {Environment.ProcessId}", error);
    }

    [Fact]
    public async Task Delete_source_removes_its_documents_and_frees_the_name()
    {
        Write("projA/docs/a.md", "Alpha.");
        Write("projB/docs/b.md", "Beta.");
        Assert.Equal(0, (await Kqa("ingest", Path.Combine(_folder.Path, "projA", "docs"))).ExitCode);

        var deleted = await Kqa("delete", "--source", "docs");
        Assert.Equal(0, deleted.ExitCode);
        Assert.Contains("deleted the source docs and its 1 documents", deleted.Stdout);
        Assert.Equal(0, (await Kqa("ingest", Path.Combine(_folder.Path, "projB", "docs"))).ExitCode);
        Assert.Equal(["docs/b.md"], (await Kqa("docs", "--json")).Json.EnumerateArray().Select(d => d.GetProperty("documentId").GetString()));
        Assert.Equal(1, (await Kqa("delete", "--source", "nothing-here")).ExitCode);
    }

    [Fact]
    public async Task Watch_keeps_the_store_in_step_until_interrupted()
    {
        var docs = Path.Combine(_folder.Path, "docs");
        Write("docs/a.md", "Alpha: the lobby is on the ground floor.");
        using var process = Process.Start(KqaProcess.StartInfo(_folder.Path, new Dictionary<string, string>(), "--data", Data, "ingest", docs, "--watch"))!;
        var lines = new System.Collections.Concurrent.BlockingCollection<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Add("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            WaitForLine(lines, l => l.StartsWith("1 added", StringComparison.Ordinal));

            Write("docs/b.md", "Beta: the canteen is on the third floor.");
            WaitForLine(lines, l => l.Contains("docs: 1 added", StringComparison.Ordinal));
            File.Delete(Path.Combine(docs, "a.md"));
            WaitForLine(lines, l => l.Contains("1 removed", StringComparison.Ordinal));

            // Ctrl-C ends the watch normally, where it can reach the process at all.
            Assert.SkipWhen(IgnoresInterrupt(process.Id),
                "SIGINT is ignored in this environment (the tests were started in the background by a non-interactive shell, which "
                + "ignores it for every child): run them in the foreground to test Ctrl-C");
            Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            // What it printed after the signal says where a watch that does not stop is stuck.
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "kqa --watch did not exit within a minute of SIGINT; it printed:\n" + string.Join("\n", lines));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
        Assert.Equal(["docs/b.md"], (await Kqa("docs", "--json")).Json.EnumerateArray().Select(d => d.GetProperty("documentId").GetString()));
    }

    /// <summary>Whether the process inherited SIGINT as ignored (bit 1 of SigIgn in /proc/PID/status, Linux only).</summary>
    private static bool IgnoresInterrupt(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!OperatingSystem.IsLinux() || !File.Exists(status))
            return false;
        var ignored = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return ignored is not null
            && (ulong.Parse(ignored["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & 0b10) != 0;
    }

    private static void WaitForLine(System.Collections.Concurrent.BlockingCollection<string> lines, Func<string, bool> wanted)
    {
        var seen = new List<string>();
        // Generous: only the wanted line ends the wait in a passing run.
        while (lines.TryTake(out var line, TimeSpan.FromMinutes(2)))
        {
            seen.Add(line);
            if (wanted(line))
                return;
        }
        Assert.Fail("kqa never printed the expected line; it printed:\n" + string.Join("\n", seen));
    }
}

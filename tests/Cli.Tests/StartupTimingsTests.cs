using System.Text.RegularExpressions;

namespace KnowledgeQa.Cli.Tests;

/// <summary>KQA_STARTUP_TIMINGS=1: kqa says on stderr, as it exits, where a command's time went; stdout is untouched.</summary>
public sealed class StartupTimingsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_timings_line_comes_on_stderr_only_when_asked_for()
    {
        var plain = await KqaProcess.RunAsync(_folder.Path, "--version");
        var timed = await KqaProcess.RunAsync(_folder.Path, new Dictionary<string, string> { ["KQA_STARTUP_TIMINGS"] = "1" }, "--version");

        Assert.Equal(0, timed.ExitCode);
        Assert.DoesNotContain("kqa-timings", plain.Stderr);
        Assert.Equal(plain.Stdout, timed.Stdout);
        var line = Regex.Match(timed.Stderr, @"^kqa-timings: wall_ms=(\d+) cpu_ms=(\d+) jit_ms=(\d+) jit_methods=(\d+) gc=(\d+)$", RegexOptions.Multiline);
        Assert.True(line.Success, timed.Stderr);
        Assert.True(int.Parse(line.Groups[1].Value) > 0);
        Assert.True(int.Parse(line.Groups[4].Value) > 0); // this build is not ReadyToRun-compiled: something was JIT-compiled
    }
}

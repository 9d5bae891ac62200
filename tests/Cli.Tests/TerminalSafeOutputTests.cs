using KnowledgeQa.Cli.Infrastructure;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// Stored strings come from files: a file name with ESC sequences (here: clear the screen, set the
/// window title) must reach the terminal as visible text, not as commands.
/// </summary>
public sealed class TerminalSafeOutputTests
{
    private const string HostileName = "notes\u001b[2J\u001b]0;pwned\u0007\u202e.md";

    [Fact]
    public async Task Docs_search_and_delete_print_a_hostile_file_name_escaped()
    {
        using var folder = new TempFolder();
        var docs = Directory.CreateDirectory(Path.Combine(folder.Path, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, HostileName), "# Ferries\n\nThe night ferry leaves at 23:40.", TestContext.Current.CancellationToken);
        var data = Path.Combine(folder.Path, "kb");
        Assert.Equal(0, (await KqaProcess.RunAsync(folder.Path, "--data", data, "ingest", docs)).ExitCode);

        var listed = await KqaProcess.RunAsync(folder.Path, "--data", data, "docs");
        var found = await KqaProcess.RunAsync(folder.Path, "--data", data, "search", "night ferry");
        var missing = await KqaProcess.RunAsync(folder.Path, "--data", data, "delete", "gone\u001b[2J");
        var deleted = await KqaProcess.RunAsync(folder.Path, "--data", data, "delete", "docs/" + HostileName);

        foreach (var output in new[] { listed.Stdout, found.Stdout, missing.Stderr, deleted.Stdout })
        {
            Assert.DoesNotContain('\u001b', output);
            Assert.DoesNotContain('\u0007', output);
            Assert.DoesNotContain('\u202e', output);
        }
        Assert.Contains(@"notes\x1B[2J\x1B]0;pwned\x07\u202E.md", listed.Stdout);
        Assert.Contains(@"notes\x1B[2J", found.Stdout);
        Assert.Contains(@"gone\x1B[2J", missing.Stderr);
        Assert.Contains(@"deleted docs/notes\x1B[2J", deleted.Stdout);
    }

    [Theory]
    [InlineData("plain text, 中文 and émoji 🚲", "plain text, 中文 and émoji 🚲")]
    [InlineData("bell\u0007 and del\u007f", @"bell\x07 and del\x7F")]
    [InlineData("c1 \u009b2J", @"c1 \x9B2J")]
    [InlineData("two\nlines\ttab", @"two\x0Alines\x09tab")]
    [InlineData("rtl \u202eoverride \u2066isolate", @"rtl \u202Eoverride \u2066isolate")]
    public void A_line_escapes_every_control_character(string value, string expected) =>
        Assert.Equal(expected, TerminalText.Line(value));

    [Theory]
    [InlineData("first\r\nsecond\tcol \u001b[31mred", "first\nsecond\tcol \\x1B[31mred")]
    [InlineData("over\rwritten", "overwritten")]
    public void Text_keeps_line_breaks_and_tabs_but_not_escape_sequences_or_carriage_returns(string value, string expected) =>
        Assert.Equal(expected, TerminalText.Text(value));
}

using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Agents.Tests.Chat;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class LabelledDataReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_jsonl_with_string_or_number_labels()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "data.jsonl");
        await File.WriteAllTextAsync(path, "{\"text\": \"很好\", \"label\": \"positive\"}\n\n{\"text\": \"bad\", \"label\": 0, \"id\": 7}\n", Ct);

        var data = await LabelledDataReader.ReadAsync(path, Ct);

        Assert.Equal([new LabelledText("很好", "positive"), new LabelledText("bad", "0")], data);
    }

    [Fact]
    public async Task Reads_csv_with_quotes_commas_and_line_breaks()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "data.csv");
        await File.WriteAllTextAsync(path, "label,text\r\npositive,\"Great, really \"\"great\"\"\"\r\nnegative,\"two\nlines\"\r\n", Ct);

        var data = await LabelledDataReader.ReadAsync(path, Ct);

        Assert.Equal([new LabelledText("Great, really \"great\"", "positive"), new LabelledText("two\nlines", "negative")], data);
    }

    [Theory]
    [InlineData("data.jsonl", "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": \"no label\"}\n", 2)]
    [InlineData("data.jsonl", "{\"text\": \"ok\", \"label\": \"a\"}\nnot json\n", 2)]
    [InlineData("data.csv", "text,category\nhello,a\n", 1)]
    [InlineData("data.csv", "text,label\nhello,a\n,b\n", 3)]
    public async Task Errors_name_the_file_and_line(string name, string content, int line)
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, name);
        await File.WriteAllTextAsync(path, content, Ct);

        var error = await Assert.ThrowsAsync<LabelledDataException>(() => LabelledDataReader.ReadAsync(path, Ct));

        Assert.Equal(line, error.Line);
        Assert.StartsWith($"{path}:{line}:", error.Message);
    }

    [Fact]
    public async Task Unknown_file_types_are_refused()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "data.xlsx");
        await File.WriteAllTextAsync(path, "x", Ct);
        var error = await Assert.ThrowsAsync<LabelledDataException>(() => LabelledDataReader.ReadAsync(path, Ct));
        Assert.Contains(".jsonl", error.Message);
    }
}

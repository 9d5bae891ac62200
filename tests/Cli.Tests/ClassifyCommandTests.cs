namespace KnowledgeQa.Cli.Tests;

/// <summary>kqa classify and kqa cluster through the real program and the real embedding model.</summary>
public sealed class ClassifyCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Task<KqaProcess.Result> Kqa(params string[] args) => KqaProcess.RunAsync(_folder.Path, args);

    private string WriteJsonLines(string name, params (string Text, string? Label)[] rows)
    {
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllLines(path, rows.Select(r => r.Label is null
            ? System.Text.Json.JsonSerializer.Serialize(new { text = r.Text })
            : System.Text.Json.JsonSerializer.Serialize(new { text = r.Text, label = r.Label })));
        return path;
    }

    [Fact]
    public async Task Zero_shot_prints_a_label_and_probabilities_that_sum_to_one()
    {
        var result = await Kqa("classify", "The match ended 2-1 after a late goal by the striker", "--labels", "sports,cooking,finance", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("sports", result.Json.GetProperty("label").GetString());
        var scores = result.Json.GetProperty("scores").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(["cooking", "finance", "sports"], scores.Keys.Order());
        Assert.Equal(1.0, scores.Values.Sum(), 6);
    }

    [Fact]
    public async Task A_trained_head_classifies_a_batch_in_input_order()
    {
        var good = new[] { "a wonderful, moving film", "brilliant acting and a great story", "I loved every minute", "a delightful comedy", "superb and touching", "great fun, highly recommended" };
        var bad = new[] { "a dull, boring mess", "terrible acting and a stupid plot", "I hated every minute", "an awful waste of time", "tedious and painful", "the worst film this year" };
        var training = WriteJsonLines("train.jsonl", [.. good.Select(t => (t, (string?)"positive")), .. bad.Select(t => (t, (string?)"negative"))]);
        var model = Path.Combine(_folder.Path, "sentiment.model");

        var train = await Kqa("classify", "train", "--data", training, "--out", model);
        Assert.Equal(0, train.ExitCode);
        Assert.True(File.Exists(model));

        var input = WriteJsonLines("input.jsonl", ("what a great, wonderful story", null), ("boring and awful", null), ("I loved it", null));
        var batch = await Kqa("classify", "--model", model, "--input", input, "--json");

        Assert.Equal(0, batch.ExitCode);
        var labels = batch.Json.EnumerateArray().Select(r => r.GetProperty("label").GetString()).ToList();
        Assert.Equal(["positive", "negative", "positive"], labels);
    }

    [Fact]
    public async Task Sentiment_preset_reads_chinese()
    {
        var result = await Kqa("classify", "這家飯店服務很差，房間又髒又吵", "--sentiment", "--json");

        Assert.Equal("negative", result.Json.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Choosing_no_way_to_classify_is_a_clear_error()
    {
        var result = await Kqa("classify", "some text");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--labels", result.Stderr);
    }

    [Fact]
    public async Task Cluster_groups_texts_by_topic()
    {
        var input = WriteJsonLines("texts.jsonl",
            ("The striker scored twice in the final", null), ("The goalkeeper saved a penalty", null), ("The team won the league title", null),
            ("Bake the bread at 220 degrees for thirty minutes", null), ("Whisk the eggs with sugar and butter", null), ("Simmer the tomato sauce for an hour", null));

        var result = await Kqa("cluster", "--input", input, "--k", "2", "--json");

        Assert.Equal(0, result.ExitCode);
        var assignments = result.Json.GetProperty("assignments").EnumerateArray().Select(a => a.GetInt32()).ToList();
        Assert.Equal(assignments[0], assignments[1]);
        Assert.Equal(assignments[0], assignments[2]);
        Assert.Equal(assignments[3], assignments[4]);
        Assert.Equal(assignments[3], assignments[5]);
        Assert.NotEqual(assignments[0], assignments[3]);
    }
}

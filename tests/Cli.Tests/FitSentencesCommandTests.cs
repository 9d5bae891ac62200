using System.Text.Json;

namespace KnowledgeQa.Cli.Tests;

/// <summary>kqa eval fit-sentences through the real program, the real embedding model and a real store, on a small set.</summary>
public sealed class FitSentencesCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Task<KqaProcess.Result> Kqa(params string[] args) => KqaProcess.RunAsync(_folder.Path, args);

    /// <summary>A reading-comprehension set in the evaluation layout: three articles, two questions each.</summary>
    private string WriteSet()
    {
        var set = Path.Combine(_folder.Path, "tiny");
        Directory.CreateDirectory(set);
        var contexts = new[]
        {
            ("c1", "Eiffel Tower", "The Eiffel Tower is a wrought-iron tower in Paris. It was completed in 1889 for the World's Fair. " +
                               "The tower is 330 metres tall. Gustave Eiffel's company designed and built it."),
            ("c2", "Golden Gate Bridge", "The Golden Gate Bridge is a suspension bridge in California. It opened to traffic in 1937. " +
                                     "Its main span is 1,280 metres long. The bridge is painted in a colour called international orange."),
            ("c3", "Amazon rainforest", "The Amazon rainforest covers most of the Amazon basin. Most of the forest is in Brazil. " +
                                    "It holds about 390 billion trees. Deforestation has cut its area since the 1970s."),
        };
        var questions = new[]
        {
            ("q1", "When was the Eiffel Tower completed?", "c1", "1889"),
            ("q2", "How tall is the Eiffel Tower?", "c1", "330 metres"),
            ("q3", "When did the Golden Gate Bridge open?", "c2", "1937"),
            ("q4", "What colour is the Golden Gate Bridge painted?", "c2", "international orange"),
            ("q5", "In which country is most of the Amazon rainforest?", "c3", "Brazil"),
            ("q6", "How many trees does the Amazon rainforest hold?", "c3", "390 billion"),
        };
        File.WriteAllLines(Path.Combine(set, "contexts.jsonl"), contexts.Select(c => JsonSerializer.Serialize(new { id = c.Item1, title = c.Item2, text = c.Item3 })));
        File.WriteAllLines(Path.Combine(set, "questions.jsonl"), questions.Select(q => JsonSerializer.Serialize(new
        {
            id = q.Item1, question = q.Item2, context_id = q.Item3, answers = new[] { new { text = q.Item4, answer_start = 0 } },
        })));
        return set;
    }

    [Fact]
    public async Task Fitting_prints_the_measure_before_and_after_saves_the_samples_and_refits_from_them()
    {
        var set = WriteSet();
        var missing = Path.Combine(_folder.Path, "no-answer-set");

        var first = await Kqa("eval", "fit-sentences", "--dataset", set, "--hold-out-every", "0", "--answer-set", missing, "--misses", "3");

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("shipped models:", first.Stdout);
        Assert.Contains("refitted models:", first.Stdout);
        Assert.Contains("| tiny | ", first.Stdout);
        Assert.Contains("public static ExtractiveScoring WithDense { get; } = new()", first.Stdout);
        var samples = Path.Combine(_folder.Path, ".kqa-eval", "sentence-samples", "tiny.jsonl");
        var saved = File.ReadAllLines(samples);
        Assert.NotEmpty(saved);
        Assert.Contains(saved, l => l.Contains("\"holdsGold\":true", StringComparison.Ordinal));

        var again = await Kqa("eval", "fit-sentences", "--dataset", set, "--hold-out-every", "0", "--answer-set", missing, "--reuse-samples");

        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("saved samples from", again.Stderr);
        Assert.Contains("refitted models:", again.Stdout);
    }

    [Fact]
    public async Task Writing_the_source_without_the_answer_set_is_refused_and_writes_nothing()
    {
        var set = WriteSet();
        var source = Path.Combine(_folder.Path, "Models.cs");
        const string text = "class X\n{\n    // FITTED-BEGIN\n    // FITTED-END\n}\n";
        File.WriteAllText(source, text);

        var result = await Kqa("eval", "fit-sentences", "--dataset", set, "--hold-out-every", "0",
            "--answer-set", Path.Combine(_folder.Path, "no-answer-set"), "--write-source", source);

        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith("kqa: error: --answer-set", result.Stderr.Trim().Split('\n')[^1]);
        Assert.Equal(text, File.ReadAllText(source));
    }
}

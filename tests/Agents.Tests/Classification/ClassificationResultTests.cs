using System.Text.Json;
using KnowledgeQa.Agents.Classification;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class ClassificationResultTests
{
    [Fact]
    public void Serialises_to_the_label_and_scores_shape_the_cli_prints()
    {
        var result = ClassificationResult.FromProbabilities(["spam", "ham"], [0.25, 0.75]);

        var json = JsonSerializer.Serialize(result);

        Assert.Equal("""{"label":"ham","scores":{"spam":0.25,"ham":0.75}}""", json);
    }

    [Fact]
    public void Multi_label_and_source_appear_only_when_set()
    {
        var result = ClassificationResult.FromProbabilities(["a", "b"], [0.5, 0.5]) with { Labels = ["a", "b"], Source = "chat" };

        using var document = JsonDocument.Parse(JsonSerializer.Serialize(result));

        Assert.Equal("a", document.RootElement.GetProperty("label").GetString());
        Assert.Equal(2, document.RootElement.GetProperty("labels").GetArrayLength());
        Assert.Equal("chat", document.RootElement.GetProperty("source").GetString());
    }
}

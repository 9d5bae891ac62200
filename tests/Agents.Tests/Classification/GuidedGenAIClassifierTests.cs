using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Agents.Tests.Chat;

namespace KnowledgeQa.Agents.Tests.Classification;

/// <summary>Constrained decoding on the real ONNX Runtime GenAI runtime with the tiny random-weight model.</summary>
public sealed class GuidedGenAIClassifierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Guidance_forces_the_random_model_to_answer_with_a_label()
    {
        LabelDefinition[] labels = [new("World"), new("Sports"), new("Business"), new("Sci/Tech")];
        using var classifier = GuidedGenAIClassifier.Open(TinyModel.Path, labels);

        var results = await classifier.ClassifyBatchAsync(
            ["Stocks fell sharply today.", "The match ended in a draw.", "A new chip doubles battery life.", "随便写点中文。"], Ct);

        // The weights are random, so which label comes out means nothing; that one comes out is the point.
        Assert.All(results, r =>
        {
            Assert.Contains(r.Label, classifier.Labels);
            Assert.Equal("constrained-decoding", r.Source);
            Assert.Equal(1.0, r.Scores.Values.Sum(), 6);
        });
    }

    [Fact]
    public void Label_regex_escapes_punctuation()
        => Assert.Equal(@"(a\.b|Sci\/Tech|x\(y\)|plain words)", GuidedGenAIClassifier.LabelRegex(["a.b", "Sci/Tech", "x(y)", "plain words"]));

    [Fact]
    public void A_missing_model_folder_is_reported_by_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), "kqa-no-such-model-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<KnowledgeQa.Agents.Chat.ChatModelException>(() => GuidedGenAIClassifier.Open(missing, LabelDefinition.FromNames(["a", "b"])));
        Assert.Contains(missing, error.Message);
    }
}

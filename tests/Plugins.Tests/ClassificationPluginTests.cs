using KnowledgeQa.Plugins.Classification;
using KnowledgeQa.Retrieval;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.Tests;

public class ClassificationPluginTests(KnowledgeBaseFixture kb)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("I was charged twice on my credit card for the same order.", "billing")]
    [InlineData("My parcel has not arrived and the tracking number shows no delivery.", "shipping")]
    public async Task Classify_picks_the_label_the_text_is_about(string text, string expected)
    {
        var result = await kb.Kernel.InvokeAsync(ClassificationPlugin.PluginName, "classify",
            new KernelArguments { ["text"] = text, ["labels"] = "billing, shipping, returns" }, Ct);

        var label = result.GetValue<LabelResult>()!;
        Assert.Equal(expected, label.Label);
        Assert.Equal(["billing", "returns", "shipping"], label.Scores.Keys.Order());
        Assert.Equal(label.Scores.Values.Max(), label.Scores[expected]);
    }

    [Fact]
    public async Task Classify_with_fewer_than_two_labels_is_a_typed_error_naming_the_value()
    {
        var error = await Assert.ThrowsAsync<InvalidOptionException>(() =>
            kb.Kernel.InvokeAsync(ClassificationPlugin.PluginName, "classify", new KernelArguments { ["text"] = "hello", ["labels"] = "billing" }, Ct));
        Assert.Contains("'billing'", error.Message);
    }

    [Theory]
    [InlineData("I love this scooter, it is wonderful and works perfectly.", "positive")]
    [InlineData("Terrible product. It broke after one day and support never answered.", "negative")]
    public async Task Sentiment_detects_positive_and_negative_texts(string text, string expected)
    {
        var result = await kb.Kernel.InvokeAsync(ClassificationPlugin.PluginName, "sentiment", new KernelArguments { ["text"] = text }, Ct);

        var label = result.GetValue<LabelResult>()!;
        Assert.Equal(expected, label.Label);
        Assert.Contains("neutral", label.Scores.Keys);
    }
}

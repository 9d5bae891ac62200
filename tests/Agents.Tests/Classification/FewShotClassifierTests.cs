using KnowledgeQa.Agents.Classification;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class FewShotClassifierTests(EmbeddingModelFixture model) : IClassFixture<EmbeddingModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly LabelledText[] Examples =
    [
        new("Where is my parcel? It has not arrived yet.", "shipping"),
        new("The delivery is late and tracking shows nothing.", "shipping"),
        new("I was charged twice on my credit card.", "billing"),
        new("Please refund the payment for my cancelled order.", "billing"),
    ];

    [Theory]
    [InlineData(FewShotMethod.NearestCentroid)]
    [InlineData(FewShotMethod.NearestNeighbours)]
    public async Task Classifies_from_a_few_examples(FewShotMethod method)
    {
        var classifier = await FewShotClassifier.CreateAsync(model.Generator, Examples, new FewShotOptions { Method = method, Neighbours = 3 }, Ct);

        var results = await classifier.ClassifyBatchAsync(["My package still has not been delivered.", "Why is there an extra charge on my card?"], Ct);

        Assert.Equal(["shipping", "billing"], results.Select(r => r.Label));
        Assert.All(results, r => Assert.Equal(1.0, r.Scores.Values.Sum(), 6));
    }

    [Fact]
    public async Task An_added_example_counts_at_once_without_retraining()
    {
        var classifier = await FewShotClassifier.CreateAsync(model.Generator, Examples, cancellationToken: Ct);
        const string Text = "I forgot my password and cannot log in to my account.";
        var before = await classifier.ClassifyAsync(Text, Ct);
        Assert.DoesNotContain("account", before.Scores.Keys);

        await classifier.AddExampleAsync("I cannot sign in, the password reset email never came.", "account", Ct);
        var after = await classifier.ClassifyAsync(Text, Ct);

        Assert.Equal("account", after.Label);
        Assert.Equal(["shipping", "billing", "account"], classifier.Labels);
        Assert.Equal(5, classifier.ExampleCount);
    }

    [Fact]
    public async Task More_examples_of_a_label_move_its_centroid()
    {
        var classifier = await FewShotClassifier.CreateAsync(model.Generator, Examples, cancellationToken: Ct);
        const string Text = "Can I change the address my order is sent to?";
        var before = (await classifier.ClassifyAsync(Text, Ct)).Scores["shipping"];

        await classifier.AddExamplesAsync([new("Please send the order to my new address instead.", "shipping")], Ct);

        Assert.True((await classifier.ClassifyAsync(Text, Ct)).Scores["shipping"] > before);
    }

    [Fact]
    public async Task Needs_examples_of_two_labels()
    {
        var classifier = await FewShotClassifier.CreateAsync(model.Generator, Examples.Take(2), cancellationToken: Ct);
        await Assert.ThrowsAsync<ClassificationException>(() => classifier.ClassifyAsync("anything", Ct));
    }
}

using KnowledgeQa.Agents.Classification;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class ZeroShotClassifierTests(EmbeddingModelFixture model) : IClassFixture<EmbeddingModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly LabelDefinition[] Topics =
    [
        new("sports", "sports: football, basketball, tennis, matches, players and scores"),
        new("cooking", "cooking: recipes, ingredients, baking, kitchen and food"),
        new("computers", "computers: software, programming, hardware and laptops"),
    ];

    [Theory]
    [InlineData("The striker scored twice and the team won the championship final.", "sports")]
    [InlineData("Whisk the eggs with sugar, fold in the flour and bake for twenty minutes.", "cooking")]
    [InlineData("My laptop crashes whenever I compile the program with the new compiler.", "computers")]
    public async Task Picks_the_obvious_label(string text, string expected)
    {
        var classifier = await ZeroShotClassifier.CreateAsync(model.Generator, Topics, cancellationToken: Ct);

        var result = await classifier.ClassifyAsync(text, Ct);

        Assert.Equal(expected, result.Label);
        Assert.Equal(result.Scores.MaxBy(p => p.Value).Key, result.Label);
    }

    [Fact]
    public async Task Probabilities_cover_every_label_and_sum_to_one()
    {
        var classifier = await ZeroShotClassifier.CreateAsync(model.Generator, LabelDefinition.FromNames(["weather", "finance", "music"]),
            cancellationToken: Ct);

        var results = await classifier.ClassifyBatchAsync(["Heavy rain and storms are expected tomorrow.", "The band played a new song."], Ct);

        Assert.Equal(["weather", "music"], results.Select(r => r.Label));
        foreach (var result in results)
        {
            Assert.Equal(["weather", "finance", "music"], result.Scores.Keys);
            Assert.Equal(1.0, result.Scores.Values.Sum(), 6);
            Assert.All(result.Scores.Values, p => Assert.InRange(p, 0, 1));
        }
    }

    [Fact]
    public async Task Multi_label_mode_returns_every_label_over_the_threshold()
    {
        var classifier = await ZeroShotClassifier.CreateAsync(model.Generator, [.. Topics, new LabelDefinition("politics", "politics: elections, government, parliament and laws")],
            new ZeroShotOptions { MultiLabelThreshold = 0.25 }, Ct);

        var results = await classifier.ClassifyBatchAsync(
            ["The football team cooked dinner together after the match.", "After winning the tennis final she baked a cake.", "The tennis player won the final set."], Ct);

        Assert.Equal(["cooking", "sports"], results[0].Labels!.Order());
        Assert.Equal(["cooking", "sports"], results[1].Labels!.Order());
        Assert.Equal(["sports"], results[2].Labels);
        Assert.All(results, r => Assert.Equal(1.0, r.Scores.Values.Sum(), 6));
    }

    [Fact]
    public async Task Calibration_fits_a_temperature_that_lowers_the_log_loss()
    {
        var labels = LabelDefinition.FromNames(["sports", "cooking"]);
        var classifier = await ZeroShotClassifier.CreateAsync(model.Generator, labels,
            new ZeroShotOptions { Temperature = 5 }, Ct);
        LabelledText[] sample =
        [
            new("The goalkeeper saved a penalty.", "sports"), new("She ran the marathon in record time.", "sports"),
            new("Chop the onions and fry them in butter.", "cooking"), new("This soup recipe needs fresh basil.", "cooking"),
        ];
        var before = await LogLossAsync(classifier, sample);

        var temperature = await classifier.CalibrateAsync(sample, Ct);

        Assert.InRange(temperature, TemperatureCalibrator.MinTemperature, 1);
        Assert.True(await LogLossAsync(classifier, sample) < before);
    }

    [Fact]
    public async Task Refuses_fewer_than_two_labels_or_duplicates()
    {
        await Assert.ThrowsAsync<ClassificationException>(() => ZeroShotClassifier.CreateAsync(model.Generator, LabelDefinition.FromNames(["only"]), cancellationToken: Ct));
        await Assert.ThrowsAsync<ClassificationException>(() => ZeroShotClassifier.CreateAsync(model.Generator, LabelDefinition.FromNames(["a", "A"]), cancellationToken: Ct));
    }

    private static async Task<double> LogLossAsync(ZeroShotClassifier classifier, IReadOnlyList<LabelledText> sample)
    {
        var results = await classifier.ClassifyBatchAsync(sample.Select(s => s.Text).ToArray(), Ct);
        return results.Select((r, i) => -Math.Log(r.Scores[sample[i].Label])).Average();
    }
}

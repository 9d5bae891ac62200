using KnowledgeQa.Agents.Classification;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class EvaluationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Metrics_match_a_hand_computed_example()
    {
        string[] gold = ["a", "a", "a", "b", "b", "c"];
        string[] predicted = ["a", "a", "b", "b", "c", "c"];

        var metrics = ClassificationMetrics.Compute(gold, predicted);

        Assert.Equal(4.0 / 6, metrics.Accuracy, 9);
        // F1: a = 2·2/(2+3) = 0.8; b = 2·1/(2+2) = 0.5; c = 2·1/(2+1) = 2/3.
        Assert.Equal((0.8 + 0.5 + 2.0 / 3) / 3, metrics.MacroF1, 9);
    }

    [Fact]
    public void A_label_never_predicted_counts_zero_in_macro_F1()
        => Assert.Equal(1.0 / 3, ClassificationMetrics.Compute(["a", "b"], ["a", "a"]).MacroF1, 9);

    [Fact]
    public void Stratified_split_keeps_label_shares_and_is_repeatable()
    {
        var items = Enumerable.Range(0, 100).Select(i => new LabelledText($"t{i}", i < 80 ? "big" : "small")).ToArray();

        var (train, test) = StratifiedSplit.Split(items, x => x.Label, 0.25, seed: 9);
        var again = StratifiedSplit.Split(items, x => x.Label, 0.25, seed: 9);

        Assert.Equal(20, test.Count(x => x.Label == "big"));
        Assert.Equal(5, test.Count(x => x.Label == "small"));
        Assert.Equal(75, train.Count);
        Assert.Empty(train.Intersect(test));
        Assert.Equal(test, again.Second);
        Assert.NotEqual(test, StratifiedSplit.Split(items, x => x.Label, 0.25, seed: 10).Second);
    }

    [Fact]
    public async Task Evaluator_scores_each_method_and_averages_repeats()
    {
        LabelledText[] train = [new("x", "a"), new("y", "a"), new("z", "b")];
        LabelledText[] test = [new("p", "a"), new("q", "b")];
        ClassificationMethod[] methods =
        [
            new("majority", (t, _, _) => Task.FromResult<ITextClassifier>(new MajorityClassClassifier(t))),
            new("majority of a sample", (t, repeat, _) => Task.FromResult<ITextClassifier>(
                new MajorityClassClassifier(repeat == 0 ? [t[0]] : [t[2]])), Repeats: 2),
        ];

        var results = await new ClassificationEvaluator().EvaluateAsync(train, test, methods, cancellationToken: Ct);

        Assert.Equal(0.5, results[0].Accuracy);
        Assert.Equal(1.0 / 3, results[0].MacroF1, 9);
        Assert.Equal(2, results[1].Repeats);
        Assert.Equal(0.5, results[1].Accuracy);
        Assert.Equal(0, results[1].AccuracySpread);
    }
}

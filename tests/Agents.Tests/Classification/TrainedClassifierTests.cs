using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Agents.Tests.Chat;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class TrainedClassifierTests(EmbeddingModelFixture model) : IClassFixture<EmbeddingModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Small hand-made topic data: enough for a head to learn, little enough to embed in a second.</summary>
    private static readonly LabelledText[] Topics =
    [
        .. new[]
        {
            "The striker scored twice in the second half.", "Tennis star wins the final in straight sets.",
            "The coach praised the defence after the match.", "Record crowd watches the marathon.",
            "The team signed a new goalkeeper.", "Cyclists climb the mountain stage in the rain.",
            "Basketball playoffs begin on Friday.", "The boxer retains his title.",
        }.Select(t => new LabelledText(t, "sports")),
        .. new[]
        {
            "Shares fell after the bank reported lower profits.", "The central bank raised interest rates again.",
            "Oil prices climbed on supply worries.", "The company plans to cut jobs to save costs.",
            "Investors sold bonds as inflation rose.", "The merger creates the largest retailer in the country.",
            "Quarterly earnings beat analyst forecasts.", "The stock market closed at a record high.",
        }.Select(t => new LabelledText(t, "business")),
    ];

    [Fact]
    public async Task Trains_saves_and_loads_to_the_same_predictions()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "topics.kqa.json");
        var trained = await TextClassifierTrainer.TrainAsync(Topics, model.Generator, new TextClassifierTrainingOptions { ValidationFraction = 0.25 }, Ct);
        string[] probes = ["The goalkeeper saved a penalty in extra time.", "The bank's profits doubled this quarter.", "Weather: sunny."];

        await TrainedClassifierFile.SaveAsync(trained, path, Ct);
        var loaded = await TrainedClassifierFile.LoadAsync(path, model.Generator, Ct);

        var before = await trained.ClassifyBatchAsync(probes, Ct);
        var after = await loaded.ClassifyBatchAsync(probes, Ct);
        Assert.Equal(["sports", "business"], before.Take(2).Select(r => r.Label));
        for (var i = 0; i < probes.Length; i++)
        {
            Assert.Equal(before[i].Label, after[i].Label);
            foreach (var label in trained.Labels) Assert.Equal(before[i].Scores[label], after[i].Scores[label], 6);
        }
        Assert.Equal(new EmbeddingModelIdentity(model.ModelId, 384), loaded.EmbeddingModel);
        Assert.Equal(trained.Summary, loaded.Summary);
        Assert.Equal(4, trained.Summary.ValidationExamples);
    }

    [Fact]
    public async Task Loading_with_another_embedding_model_is_refused_naming_the_trained_one()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "topics.kqa.json");
        await TrainedClassifierFile.SaveAsync(await TextClassifierTrainer.TrainAsync(Topics, model.Generator, cancellationToken: Ct), path, Ct);
        using var other = new RenamedGenerator(model.Generator, "bge-small-en-v1.5", 384);

        var error = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => TrainedClassifierFile.LoadAsync(path, other, Ct));

        Assert.Equal(model.ModelId, error.TrainedModelId);
        Assert.Contains($"'{model.ModelId}'", error.Message);
        Assert.Contains("'bge-small-en-v1.5'", error.Message);
        Assert.Contains(path, error.Message);
        await Assert.ThrowsAsync<ClassificationException>(() => TrainedClassifierFile.LoadAsync(path, null, Ct));
    }

    [Fact]
    public async Task A_lexical_only_head_needs_no_embedding_model()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "lexical.kqa.json");
        var options = new TextClassifierTrainingOptions { UseEmbeddings = false, Lexical = LexicalFeatureMode.On, ValidationFraction = 0 };
        LabelledText[] data =
        [
            new("服务很好，房间干净", "positive"), new("非常满意，推荐", "positive"), new("早餐丰富，环境好", "positive"),
            new("房间很脏，服务差", "negative"), new("非常失望，不推荐", "negative"), new("隔音差，太吵了", "negative"),
        ];
        await TrainedClassifierFile.SaveAsync(await TextClassifierTrainer.TrainAsync(data, null, options, Ct), path, Ct);

        var loaded = await TrainedClassifierFile.LoadAsync(path, null, Ct);

        Assert.Null(loaded.EmbeddingModel);
        Assert.Equal("positive", (await loaded.ClassifyAsync("环境好，服务很好", Ct)).Label);
        Assert.Equal("negative", (await loaded.ClassifyAsync("太吵了，很失望", Ct)).Label);
    }

    [Fact]
    public async Task Logistic_regression_learns_a_separable_toy_problem()
    {
        // Two classes around (1,1,1) and (-1,-1,-1) with uniform noise of ±0.6 per coordinate: the plane
        // x+y+z = 0 separates them exactly, and so must the trained head.
        var random = new Random(5);
        var data = new List<LabelledText>();
        var vectors = new List<float[]>();
        for (var i = 0; i < 200; i++)
        {
            var sign = i % 2 == 0 ? 1f : -1f;
            vectors.Add(Enumerable.Range(0, 3).Select(_ => sign + (float)(random.NextDouble() - 0.5) * 1.2f).ToArray());
            data.Add(new LabelledText($"point {i}", sign > 0 ? "a" : "b"));
        }

        var head = TextClassifierTrainer.Train(data, vectors, null, new TextClassifierTrainingOptions { Lexical = LexicalFeatureMode.Off }, Ct);

        var correct = data.Where((d, i) => head.ClassifyFeatures(d.Text, vectors[i]).Label == d.Label).Count();
        Assert.Equal(data.Count, correct);
        Assert.True(head.Summary.ValidationLoss < 0.1, $"validation loss {head.Summary.ValidationLoss}");
        Assert.Equal(30, head.Summary.ValidationExamples);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_model()
    {
        var first = await TextClassifierTrainer.TrainAsync(Topics, model.Generator, cancellationToken: Ct);
        var second = await TextClassifierTrainer.TrainAsync(Topics, model.Generator, cancellationToken: Ct);
        var a = await first.ClassifyAsync("A goal in the final minute.", Ct);
        var b = await second.ClassifyAsync("A goal in the final minute.", Ct);
        Assert.Equal(a.Scores["sports"], b.Scores["sports"]);
    }

    [Fact]
    public async Task Training_needs_two_labels()
        => await Assert.ThrowsAsync<ClassificationException>(() =>
            TextClassifierTrainer.TrainAsync(Topics.Where(t => t.Label == "sports").ToArray(), model.Generator, cancellationToken: Ct));

    [Fact]
    public async Task A_file_that_is_no_classifier_is_reported_by_path()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "not-a-model.json");
        await File.WriteAllTextAsync(path, "{\"hello\": 1}", Ct);

        var error = await Assert.ThrowsAsync<ClassifierFileException>(() => TrainedClassifierFile.LoadAsync(path, model.Generator, Ct));

        Assert.Contains(path, error.Message);
        await Assert.ThrowsAsync<ClassifierFileException>(() => TrainedClassifierFile.LoadAsync(path + ".missing", model.Generator, Ct));
    }

    /// <summary>The real model reporting another identity, as a different model folder would.</summary>
    private sealed class RenamedGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, string modelId, int dimensions)
        : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null)
            => serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("test", null, modelId, dimensions) : base.GetService(serviceType, serviceKey);

        protected override void Dispose(bool disposing) { }
    }
}

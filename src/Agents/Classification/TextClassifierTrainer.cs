using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

public enum LexicalFeatureMode
{
    /// <summary>Embeddings only.</summary>
    Off,

    /// <summary>Always add hashed n-gram features.</summary>
    On,

    /// <summary>Train with and without n-gram features and keep the one with the lower validation loss.</summary>
    Auto,
}

public sealed class TextClassifierTrainingOptions
{
    /// <summary>Use the embedding model's vectors as features (off gives a bag-of-n-grams model that needs no embedding model).</summary>
    public bool UseEmbeddings { get; set; } = true;

    /// <summary>Hashed word / CJK character n-gram features; they carry Chinese text the English embedding model cannot read.</summary>
    public LexicalFeatureMode Lexical { get; set; } = LexicalFeatureMode.Auto;

    public LexicalFeatureSettings LexicalSettings { get; set; } = new();

    /// <summary>Share of each label held out for early stopping and the validation figures.</summary>
    public double ValidationFraction { get; set; } = 0.15;

    public SoftmaxRegressionOptions Regression { get; set; } = new();
}

/// <summary>Fits a <see cref="TrainedClassifier"/> on labelled texts.</summary>
public static class TextClassifierTrainer
{
    public static async Task<TrainedClassifier> TrainAsync(
        IReadOnlyList<LabelledText> data,
        IEmbeddingGenerator<string, Embedding<float>>? generator,
        TextClassifierTrainingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new TextClassifierTrainingOptions();
        if (options.UseEmbeddings && generator is null)
            throw new ClassificationException("Training on embeddings needs an embedding model; pass one or turn UseEmbeddings off.");
        var embeddings = options.UseEmbeddings
            ? await generator!.EmbedNormalizedAsync(data.Select(d => d.Text).ToArray(), cancellationToken).ConfigureAwait(false)
            : null;
        return Train(data, embeddings, options.UseEmbeddings ? generator : null, options, cancellationToken);
    }

    /// <summary>
    /// Trains from texts whose unit-length embeddings are already known (aligned with <paramref name="data"/>,
    /// or null for a lexical-only model). The generator is kept for classifying new texts and for its identity.
    /// </summary>
    public static TrainedClassifier Train(
        IReadOnlyList<LabelledText> data,
        IReadOnlyList<float[]>? embeddings,
        IEmbeddingGenerator<string, Embedding<float>>? generator,
        TextClassifierTrainingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new TextClassifierTrainingOptions();
        if (options.ValidationFraction is < 0 or >= 1)
            throw new InvalidOptionException($"The validation fraction must lie in [0, 1); got {options.ValidationFraction}.");
        if (embeddings is not null && embeddings.Count != data.Count)
            throw new ArgumentException("One embedding per example is needed.", nameof(embeddings));
        if (embeddings is null && options.Lexical == LexicalFeatureMode.Off)
            throw new InvalidOptionException("A classifier needs features: turn embeddings or lexical features on.");

        var labels = data.Select(d => d.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (labels.Length < 2)
            throw new ClassificationException($"Training needs examples of at least two labels; the data has {labels.Length} ({string.Join(", ", labels)}).");
        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);

        var indices = Enumerable.Range(0, data.Count).ToArray();
        var seed = options.Regression.Seed;
        var (trainIdx, validIdx) = StratifiedSplit.Split(indices, i => data[i].Label, options.ValidationFraction, seed);
        var dimensions = embeddings is null ? 0 : embeddings[0].Length;
        if (embeddings is not null && embeddings.Any(e => e.Length != dimensions))
            throw new ClassificationException("The training embeddings differ in length; use one embedding model.");

        var candidates = options.Lexical switch
        {
            LexicalFeatureMode.Off => [false],
            LexicalFeatureMode.On => [true],
            _ when embeddings is null => [true],
            _ when validIdx.Count == 0 => [data.Average(d => LexicalTokenizer.CjkShare(d.Text)) > 0.3],
            _ => new[] { false, true },
        };

        TrainedClassifier? best = null;
        foreach (var useLexical in candidates)
        {
            var lexical = useLexical ? HashedLexicalFeatures.Fit(trainIdx.Select(i => data[i].Text), options.LexicalSettings) : null;
            FeatureRow Row(int i) => new(
                embeddings?[i] ?? [],
                lexical?.Transform(data[i].Text) ?? SparseFeatures.Empty);
            var trainRows = trainIdx.Select(Row).ToArray();
            var validRows = validIdx.Select(Row).ToArray();
            var (model, history) = SoftmaxRegressionTrainer.Train(
                trainRows, trainIdx.Select(i => labelIndex[data[i].Label]).ToArray(),
                validRows, validIdx.Select(i => labelIndex[data[i].Label]).ToArray(),
                labels.Length, dimensions, lexical?.Settings.Buckets ?? 0,
                options.Regression, cancellationToken);
            var summary = new TrainingSummary(trainIdx.Count, validIdx.Count, embeddings is not null, useLexical,
                history.EpochsRun, history.BestEpoch, history.TrainLoss, history.ValidationLoss, history.ValidationAccuracy, seed);
            var candidate = new TrainedClassifier(labels, generator, embeddings is null ? null : IdentityOf(generator, dimensions),
                lexical, model, summary);
            if (best is null || (summary.ValidationLoss ?? 0) < (best.Summary.ValidationLoss ?? 0)) best = candidate;
        }
        return best!;
    }

    private static EmbeddingModelIdentity IdentityOf(IEmbeddingGenerator<string, Embedding<float>>? generator, int dimensions)
    {
        var reported = generator?.GetModelIdentity();
        return new EmbeddingModelIdentity(reported?.ModelId ?? "unknown", dimensions);
    }
}

using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

/// <summary>How a trained head was fitted; saved in the model file and printed after training.</summary>
public sealed record TrainingSummary(
    int TrainExamples,
    int ValidationExamples,
    bool UsesEmbeddings,
    bool UsesLexicalFeatures,
    int EpochsRun,
    int BestEpoch,
    double TrainLoss,
    double? ValidationLoss,
    double? ValidationAccuracy,
    int Seed);

/// <summary>
/// A logistic-regression head over frozen embeddings (and, when they helped, hashed TF-IDF n-grams),
/// fitted by <see cref="TextClassifierTrainer"/> and saved to one file with <see cref="TrainedClassifierFile"/>.
/// </summary>
public sealed class TrainedClassifier : ITextClassifier
{
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _generator;

    internal TrainedClassifier(
        IReadOnlyList<string> labels,
        IEmbeddingGenerator<string, Embedding<float>>? generator,
        EmbeddingModelIdentity? embeddingModel,
        DenseStandardizer? standardizer,
        HashedLexicalFeatures? lexical,
        SoftmaxRegression model,
        TrainingSummary summary)
    {
        Labels = labels;
        _generator = generator;
        EmbeddingModel = embeddingModel;
        Standardizer = standardizer;
        Lexical = lexical;
        Model = model;
        Summary = summary;
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>The embedding model the head was trained with; null for a lexical-only head.</summary>
    public EmbeddingModelIdentity? EmbeddingModel { get; }

    public TrainingSummary Summary { get; }

    internal DenseStandardizer? Standardizer { get; }
    internal HashedLexicalFeatures? Lexical { get; }
    internal SoftmaxRegression Model { get; }

    public async Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default)
        => (await ClassifyBatchAsync([text], cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var embeddings = Standardizer is null ? null : await _generator!.EmbedNormalizedAsync(texts, cancellationToken).ConfigureAwait(false);
        return Enumerable.Range(0, texts.Count).Select(i => ClassifyFeatures(texts[i], embeddings?[i])).ToArray();
    }

    /// <summary>Classifies a text whose unit-length embedding is already known (batch evaluation reuses embeddings).</summary>
    public ClassificationResult ClassifyFeatures(string text, float[]? normalizedEmbedding)
    {
        var row = BuildRow(text, normalizedEmbedding);
        var probabilities = new double[Labels.Count];
        Model.Probabilities(row, probabilities);
        return ClassificationResult.FromProbabilities(Labels, probabilities);
    }

    internal FeatureRow BuildRow(string text, float[]? normalizedEmbedding)
    {
        float[] dense = [];
        if (Standardizer is not null)
        {
            if (normalizedEmbedding is null) throw new ClassificationException("This classifier needs the text's embedding.");
            if (normalizedEmbedding.Length != Standardizer.Dimensions)
                throw new EmbeddingModelMismatchException("(loaded classifier)", EmbeddingModel?.ModelId ?? "unknown", Standardizer.Dimensions, null, normalizedEmbedding.Length);
            dense = Standardizer.Transform(normalizedEmbedding);
        }
        return new FeatureRow(dense, Lexical?.Transform(text) ?? SparseFeatures.Empty);
    }
}

/// <summary>Per-dimension z-scores of embeddings, fitted on the training set: gradient descent converges far faster on standardised inputs.</summary>
internal sealed class DenseStandardizer(float[] mean, float[] scale)
{
    public float[] Mean { get; } = mean;
    public float[] Scale { get; } = scale;
    public int Dimensions => Mean.Length;

    public static DenseStandardizer Fit(IReadOnlyList<float[]> vectors)
    {
        var d = vectors[0].Length;
        var mean = new double[d];
        var sq = new double[d];
        foreach (var v in vectors)
            for (var j = 0; j < d; j++) { mean[j] += v[j]; sq[j] += (double)v[j] * v[j]; }
        var m = new float[d];
        var s = new float[d];
        for (var j = 0; j < d; j++)
        {
            mean[j] /= vectors.Count;
            var variance = Math.Max(sq[j] / vectors.Count - mean[j] * mean[j], 0);
            m[j] = (float)mean[j];
            s[j] = (float)(1 / Math.Sqrt(variance + 1e-8));
        }
        return new DenseStandardizer(m, s);
    }

    public float[] Transform(float[] v)
    {
        var result = new float[v.Length];
        for (var j = 0; j < v.Length; j++) result[j] = (v[j] - Mean[j]) * Scale[j];
        return result;
    }
}

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
/// A logistic-regression head over frozen unit-length embeddings (and, when they helped, hashed TF-IDF n-grams),
/// fitted by <see cref="TextClassifierTrainer"/> and saved to one file with <see cref="TrainedClassifierFile"/>.
/// </summary>
public sealed class TrainedClassifier : ITextClassifier
{
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _generator;

    internal TrainedClassifier(
        IReadOnlyList<string> labels,
        IEmbeddingGenerator<string, Embedding<float>>? generator,
        EmbeddingModelIdentity? embeddingModel,
        HashedLexicalFeatures? lexical,
        SoftmaxRegression model,
        TrainingSummary summary)
    {
        Labels = labels;
        _generator = generator;
        EmbeddingModel = embeddingModel;
        Lexical = lexical;
        Model = model;
        Summary = summary;
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>The embedding model the head was trained with; null for a lexical-only head.</summary>
    public EmbeddingModelIdentity? EmbeddingModel { get; }

    public TrainingSummary Summary { get; }

    internal HashedLexicalFeatures? Lexical { get; }
    internal SoftmaxRegression Model { get; }

    public async Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default)
        => (await ClassifyBatchAsync([text], cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var embeddings = EmbeddingModel is null ? null : await _generator!.EmbedNormalizedAsync(texts, cancellationToken).ConfigureAwait(false);
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
        // Unit-length embeddings go in as they are: standardising them per dimension made the dense
        // block overfit within an epoch and drown the n-gram block (measured, docs/quality.md).
        float[] dense = [];
        if (EmbeddingModel is not null)
        {
            if (normalizedEmbedding is null) throw new ClassificationException("This classifier needs the text's embedding.");
            if (normalizedEmbedding.Length != Model.DenseDimensions)
                throw new EmbeddingModelMismatchException("(classifier)", EmbeddingModel.ModelId ?? "unknown", Model.DenseDimensions, null, normalizedEmbedding.Length);
            dense = normalizedEmbedding;
        }
        return new FeatureRow(dense, Lexical?.Transform(text) ?? SparseFeatures.Empty);
    }
}

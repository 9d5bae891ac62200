using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

public sealed class ZeroShotOptions
{
    /// <summary>How a label without descriptions is put into words before it is embedded; {label} is replaced.</summary>
    public string Template { get; set; } = "This text is about {label}.";

    /// <summary>
    /// Softmax temperature over cosine similarities. Cosines of one text to different labels differ by
    /// a few hundredths, so a small temperature is needed for confident probabilities; fit it on
    /// labelled data with <see cref="ZeroShotClassifier.CalibrateAsync"/> when some is at hand.
    /// </summary>
    public double Temperature { get; set; } = 0.05;

    /// <summary>When set, every label whose probability reaches this value is returned in <see cref="ClassificationResult.Labels"/>.</summary>
    public double? MultiLabelThreshold { get; set; }
}

/// <summary>
/// Classifies with no training data: each label is embedded (its descriptions, or the template
/// filled with its name) and a text goes to the label whose prototype is closest.
/// </summary>
public sealed class ZeroShotClassifier : ITextClassifier
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly LabelPrototypes _prototypes;
    private readonly double? _multiLabelThreshold;

    private ZeroShotClassifier(IEmbeddingGenerator<string, Embedding<float>> generator, LabelPrototypes prototypes, ZeroShotOptions options)
    {
        _generator = generator;
        _prototypes = prototypes;
        _multiLabelThreshold = options.MultiLabelThreshold;
        Temperature = options.Temperature;
    }

    public IReadOnlyList<string> Labels => _prototypes.Labels;

    public double Temperature
    {
        get;
        set => field = value > 0 ? value : throw new InvalidOptionException($"The zero-shot temperature must be positive; got {value}.");
    }

    public static async Task<ZeroShotClassifier> CreateAsync(
        IEmbeddingGenerator<string, Embedding<float>> generator,
        IEnumerable<LabelDefinition> labels,
        ZeroShotOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        options ??= new ZeroShotOptions();
        if (!options.Template.Contains("{label}", StringComparison.Ordinal))
            throw new InvalidOptionException($"The zero-shot template '{options.Template}' must contain {{label}}.");
        var list = LabelDefinition.Validate(labels);

        // Embed every description of every label in one call, then average per label.
        var texts = new List<string>();
        var owner = new List<int>();
        for (var i = 0; i < list.Count; i++)
        {
            var descriptions = list[i].Descriptions.Count > 0 ? list[i].Descriptions : [options.Template.Replace("{label}", list[i].Name, StringComparison.Ordinal)];
            foreach (var d in descriptions) { texts.Add(d); owner.Add(i); }
        }
        var vectors = await generator.EmbedNormalizedAsync(texts, cancellationToken).ConfigureAwait(false);
        var prototypes = new float[list.Count][];
        for (var j = 0; j < vectors.Length; j++)
        {
            var sum = prototypes[owner[j]] ??= new float[vectors[j].Length];
            System.Numerics.Tensors.TensorPrimitives.Add(sum, vectors[j], sum);
        }
        foreach (var p in prototypes) VectorMath.NormalizeInPlace(p);
        return new ZeroShotClassifier(generator, new LabelPrototypes(list.Select(l => l.Name).ToArray(), prototypes), options);
    }

    /// <summary>
    /// Fits <see cref="Temperature"/> on a labelled sample (minimum negative log-likelihood) and returns it.
    /// Calibration changes the probabilities, never which label wins.
    /// </summary>
    public async Task<double> CalibrateAsync(IReadOnlyList<LabelledText> sample, CancellationToken cancellationToken = default)
    {
        var index = Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        foreach (var example in sample)
            if (!index.ContainsKey(example.Label))
                throw new ClassificationException($"The calibration example label '{example.Label}' is not one of the labels ({string.Join(", ", Labels)}).");
        var vectors = await _generator.EmbedNormalizedAsync(sample.Select(s => s.Text).ToArray(), cancellationToken).ConfigureAwait(false);
        Temperature = TemperatureCalibrator.Fit(vectors.Select(v => _prototypes.Cosines(v)).ToArray(), sample.Select(s => index[s.Label]).ToArray());
        return Temperature;
    }

    /// <summary>Classifies an already embedded, unit-length text.</summary>
    public ClassificationResult ClassifyEmbedding(ReadOnlySpan<float> normalizedEmbedding)
    {
        var probabilities = _prototypes.Probabilities(normalizedEmbedding, Temperature);
        var result = ClassificationResult.FromProbabilities(Labels, probabilities);
        if (_multiLabelThreshold is { } threshold)
            result = result with { Labels = Labels.Where((_, i) => probabilities[i] >= threshold).ToArray() };
        return result;
    }

    public async Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default)
        => ClassifyEmbedding(await _generator.EmbedNormalizedAsync(text, cancellationToken).ConfigureAwait(false));

    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var vectors = await _generator.EmbedNormalizedAsync(texts, cancellationToken).ConfigureAwait(false);
        return vectors.Select(v => ClassifyEmbedding(v)).ToArray();
    }
}

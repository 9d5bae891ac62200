using KnowledgeQa.Retrieval;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

public enum FewShotMethod
{
    /// <summary>Cosine to the mean of each label's examples, through a tempered softmax.</summary>
    NearestCentroid,

    /// <summary>Similarity-weighted vote of the k most similar examples.</summary>
    NearestNeighbours,
}

public sealed class FewShotOptions
{
    /// <summary>Nearest centroid by default: it was as good as or better than k-NN with 8-32 examples per label (see docs/quality.md).</summary>
    public FewShotMethod Method { get; set; } = FewShotMethod.NearestCentroid;

    /// <summary>k for <see cref="FewShotMethod.NearestNeighbours"/>.</summary>
    public int Neighbours { get; set; } = 7;

    /// <summary>Softmax temperature over cosines (centroid) or of the neighbour weights (k-NN).</summary>
    public double Temperature { get; set; } = 0.05;
}

/// <summary>
/// Classifies from a handful of labelled examples per label. Examples can be added at any time and
/// count at once: the centroids are running sums, so there is no training step.
/// </summary>
public sealed class FewShotClassifier : ITextClassifier
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly FewShotOptions _options;
    private readonly Lock _lock = new();
    private readonly List<string> _labels = [];
    private readonly Dictionary<string, int> _labelIndex = new(StringComparer.Ordinal);
    private readonly List<float[]> _sums = [];
    private readonly List<int> _counts = [];
    private readonly List<(float[] Vector, int Label)> _examples = [];

    public FewShotClassifier(IEmbeddingGenerator<string, Embedding<float>> generator, FewShotOptions? options = null)
    {
        _generator = generator ?? throw new ArgumentNullException(nameof(generator));
        _options = options ?? new FewShotOptions();
        if (_options.Neighbours < 1) throw new InvalidOptionException($"Few-shot neighbours must be at least 1; got {_options.Neighbours}.");
        if (_options.Temperature <= 0) throw new InvalidOptionException($"The few-shot temperature must be positive; got {_options.Temperature}.");
    }

    public static async Task<FewShotClassifier> CreateAsync(
        IEmbeddingGenerator<string, Embedding<float>> generator,
        IEnumerable<LabelledText> examples,
        FewShotOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var classifier = new FewShotClassifier(generator, options);
        await classifier.AddExamplesAsync(examples, cancellationToken).ConfigureAwait(false);
        return classifier;
    }

    /// <summary>The labels seen so far, in order of first appearance.</summary>
    public IReadOnlyList<string> Labels
    {
        get { lock (_lock) return _labels.ToArray(); }
    }

    public int ExampleCount
    {
        get { lock (_lock) return _examples.Count; }
    }

    public async Task AddExamplesAsync(IEnumerable<LabelledText> examples, CancellationToken cancellationToken = default)
    {
        var list = examples.ToArray();
        foreach (var e in list)
            if (string.IsNullOrWhiteSpace(e.Label)) throw new ClassificationException($"The example '{Shorten(e.Text)}' has no label.");
        var vectors = await _generator.EmbedNormalizedAsync(list.Select(e => e.Text).ToArray(), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < list.Length; i++) AddEmbeddedExample(list[i].Label, vectors[i]);
    }

    public Task AddExampleAsync(string text, string label, CancellationToken cancellationToken = default)
        => AddExamplesAsync([new LabelledText(text, label)], cancellationToken);

    /// <summary>Adds an example that is already embedded (unit length is enforced here).</summary>
    public void AddEmbeddedExample(string label, ReadOnlySpan<float> embedding)
    {
        var vector = VectorMath.Normalized(embedding);
        lock (_lock)
        {
            if (!_labelIndex.TryGetValue(label, out var index))
            {
                index = _labels.Count;
                _labels.Add(label);
                _labelIndex[label] = index;
                _sums.Add(new float[vector.Length]);
                _counts.Add(0);
            }
            if (_sums[index].Length != vector.Length)
                throw new ClassificationException($"The example embedding has {vector.Length} dimensions but earlier ones had {_sums[index].Length}; use one embedding model.");
            TensorPrimitives.Add(_sums[index], vector, _sums[index]);
            _counts[index]++;
            _examples.Add((vector, index));
        }
    }

    public ClassificationResult ClassifyEmbedding(ReadOnlySpan<float> normalizedEmbedding)
    {
        lock (_lock)
        {
            if (_labels.Count < 2)
                throw new ClassificationException($"Few-shot classification needs examples of at least two labels; it has {_labels.Count}.");
            var probabilities = _options.Method == FewShotMethod.NearestCentroid
                ? CentroidProbabilities(normalizedEmbedding)
                : NeighbourProbabilities(normalizedEmbedding);
            return ClassificationResult.FromProbabilities(_labels.ToArray(), probabilities);
        }
    }

    public async Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default)
        => ClassifyEmbedding(await _generator.EmbedNormalizedAsync(text, cancellationToken).ConfigureAwait(false));

    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var vectors = await _generator.EmbedNormalizedAsync(texts, cancellationToken).ConfigureAwait(false);
        return vectors.Select(v => ClassifyEmbedding(v)).ToArray();
    }

    private double[] CentroidProbabilities(ReadOnlySpan<float> x)
    {
        // The cosine to the normalised centroid is dot(x, sum) / |sum|: no division of the sums needed.
        var cosines = new double[_labels.Count];
        for (var i = 0; i < cosines.Length; i++)
        {
            var norm = TensorPrimitives.Norm(_sums[i]);
            cosines[i] = norm > 0 ? VectorMath.Dot(x, _sums[i]) / norm : -1;
        }
        return VectorMath.Softmax(cosines, _options.Temperature);
    }

    private double[] NeighbourProbabilities(ReadOnlySpan<float> x)
    {
        var k = Math.Min(_options.Neighbours, _examples.Count);
        var similarities = new (double Similarity, int Label)[_examples.Count];
        for (var i = 0; i < similarities.Length; i++)
            similarities[i] = (VectorMath.Dot(x, _examples[i].Vector), _examples[i].Label);
        Array.Sort(similarities, (a, b) => b.Similarity.CompareTo(a.Similarity));
        var votes = new double[_labels.Count];
        var top = similarities[0].Similarity;
        for (var i = 0; i < k; i++)
            votes[similarities[i].Label] += Math.Exp((similarities[i].Similarity - top) / _options.Temperature);
        var total = votes.Sum();
        for (var i = 0; i < votes.Length; i++) votes[i] /= total;
        return votes;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

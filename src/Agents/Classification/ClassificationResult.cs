using System.Text.Json.Serialization;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// The outcome of classifying one text. Serialises to the shape the CLI prints with --json:
/// <c>{"label": "...", "scores": {"label": probability, ...}}</c>, plus <c>labels</c> in
/// multi-label mode and <c>source</c> when the chat classifier had to fall back.
/// </summary>
public sealed record ClassificationResult
{
    public ClassificationResult(string label, IReadOnlyDictionary<string, double> scores)
    {
        Label = label;
        Scores = scores;
    }

    /// <summary>The most probable label.</summary>
    [JsonPropertyName("label")]
    public string Label { get; init; }

    /// <summary>Label -> probability, in the classifier's label order; sums to 1.</summary>
    [JsonPropertyName("scores")]
    public IReadOnlyDictionary<string, double> Scores { get; init; }

    /// <summary>Multi-label mode only: every label whose probability reaches the threshold (may be empty).</summary>
    [JsonPropertyName("labels")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Which path produced the label when a classifier has several (for example "chat", "chat-retry", "fallback").</summary>
    [JsonPropertyName("source")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Source { get; init; }

    /// <summary>Builds a result from probabilities aligned with <paramref name="labels"/>; the label is the arg-max.</summary>
    public static ClassificationResult FromProbabilities(IReadOnlyList<string> labels, ReadOnlySpan<double> probabilities)
    {
        if (labels.Count != probabilities.Length)
            throw new ArgumentException($"{labels.Count} labels but {probabilities.Length} probabilities.", nameof(probabilities));
        var scores = new Dictionary<string, double>(labels.Count, StringComparer.Ordinal);
        var best = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            scores[labels[i]] = probabilities[i];
            if (probabilities[i] > probabilities[best]) best = i;
        }
        return new ClassificationResult(labels[best], scores);
    }
}

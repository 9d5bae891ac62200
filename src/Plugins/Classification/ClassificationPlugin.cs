using System.ComponentModel;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.Classification;

/// <summary>A classification as plugins show it: the best label and every label's probability.</summary>
public sealed record LabelResult(string Label, IReadOnlyDictionary<string, double> Scores)
{
    public static LabelResult From(ClassificationResult result) =>
        new(result.Label, result.Scores.ToDictionary(s => s.Key, s => Math.Round(s.Value, 4)));
}

/// <summary>
/// Classifies texts with the embedding model: zero-shot into labels the caller names, and
/// sentiment (English by embeddings, Chinese by lexicon). Needs no chat model.
/// </summary>
public sealed class ClassificationPlugin(IEmbeddingGenerator<string, Embedding<float>> embeddings)
{
    public const string PluginName = "classification";

    // The sentiment prototypes cost one embedding call; build them once.
    private readonly Lazy<Task<SentimentClassifier>> _sentiment = new(() => SentimentClassifier.CreateAsync(embeddings));

    [KernelFunction("classify")]
    [Description("Classifies a text into one of the given labels and returns the best label with a probability per label.")]
    public async Task<LabelResult> ClassifyAsync(
        [Description("The text to classify.")] string text,
        [Description("The candidate labels, comma-separated, such as 'billing,shipping,returns'. At least two.")] string labels,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var names = KnowledgeBaseAdminPlugin.SplitList(labels);
        if (names.Count < 2)
            throw new InvalidOptionException($"classify needs at least two comma-separated labels; got '{labels}'.");
        var classifier = await ZeroShotClassifier.CreateAsync(embeddings, LabelDefinition.FromNames(names), cancellationToken: cancellationToken).ConfigureAwait(false);
        return LabelResult.From(await classifier.ClassifyAsync(text, cancellationToken).ConfigureAwait(false));
    }

    [KernelFunction("sentiment")]
    [Description("Detects the sentiment of a text: positive, negative or neutral, with a probability per label. Works for English and Chinese.")]
    public async Task<LabelResult> SentimentAsync(
        [Description("The text whose sentiment to detect.")] string text,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var classifier = await _sentiment.Value.ConfigureAwait(false);
        return LabelResult.From(await classifier.ClassifyAsync(text, cancellationToken).ConfigureAwait(false));
    }
}

using System.Collections.Concurrent;
using System.ComponentModel;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Requests;
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

    // Callers (models especially) repeat the same label sets; keep their prototypes instead of re-embedding them.
    private const int MaxCachedLabelSets = 32;
    private readonly ConcurrentDictionary<string, Task<ZeroShotClassifier>> _zeroShot = new(StringComparer.Ordinal);

    [KernelFunction("classify")]
    [Description("Classifies a text into one of the given labels and returns the best label with a probability per label.")]
    public async Task<LabelResult> ClassifyAsync(
        [Description("The text to classify (at most 4000 characters).")] string text,
        [Description("The candidate labels, comma-separated, such as 'billing,shipping,returns'. At least two, at most 100.")] string labels,
        CancellationToken cancellationToken = default)
    {
        RequestLimits.Text(text, "text");
        var names = KnowledgeBaseAdminPlugin.SplitList(labels);
        if (names.Count < 2)
            throw new InvalidOptionException($"classify needs at least two comma-separated labels; got '{labels}'.");
        RequestLimits.Labels(names);
        var classifier = await ZeroShotForAsync(names, cancellationToken).ConfigureAwait(false);
        return LabelResult.From(await classifier.ClassifyAsync(text, cancellationToken).ConfigureAwait(false));
    }

    private async Task<ZeroShotClassifier> ZeroShotForAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await ZeroShotFor(names, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Another caller who shared this label set cancelled the embedding; this caller still wants it.
            }
        }
    }

    private Task<ZeroShotClassifier> ZeroShotFor(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var key = string.Join('\n', names);
        if (_zeroShot.TryGetValue(key, out var cached) && !cached.IsFaulted && !cached.IsCanceled)
            return cached;
        if (_zeroShot.Count >= MaxCachedLabelSets)
            _zeroShot.Clear();
        // Tied to the caller's cancellation, so a client that goes away stops the embedding; a
        // cancelled entry is rebuilt by the next caller.
        var created = ZeroShotClassifier.CreateAsync(embeddings, LabelDefinition.FromNames(names), cancellationToken: cancellationToken);
        _zeroShot[key] = created;
        return created;
    }

    [KernelFunction("sentiment")]
    [Description("Detects the sentiment of a text: positive, negative or neutral, with a probability per label. Works for English and Chinese.")]
    public async Task<LabelResult> SentimentAsync(
        [Description("The text whose sentiment to detect (at most 4000 characters).")] string text,
        CancellationToken cancellationToken = default)
    {
        RequestLimits.Text(text, "text");
        var classifier = await _sentiment.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return LabelResult.From(await classifier.ClassifyAsync(text, cancellationToken).ConfigureAwait(false));
    }
}

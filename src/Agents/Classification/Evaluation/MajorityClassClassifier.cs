namespace KnowledgeQa.Agents.Classification;

/// <summary>The floor every classifier must beat: always the most frequent training label, with the training label shares as scores.</summary>
public sealed class MajorityClassClassifier : ITextClassifier
{
    private readonly ClassificationResult _result;

    public MajorityClassClassifier(IReadOnlyList<LabelledText> training)
    {
        var counts = training.GroupBy(t => t.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToArray();
        if (counts.Length == 0) throw new ClassificationException("The majority baseline needs training examples.");
        Labels = counts.Select(g => g.Key).ToArray();
        _result = ClassificationResult.FromProbabilities(Labels, counts.Select(g => (double)g.Count() / training.Count).ToArray());
    }

    public IReadOnlyList<string> Labels { get; }

    public Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default) => Task.FromResult(_result);

    public Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<ClassificationResult>>(texts.Select(_ => _result).ToArray());
}

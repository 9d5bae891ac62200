namespace KnowledgeQa.Agents.Classification;

/// <summary>Assigns one of a fixed set of labels to a text, with a probability for every label.</summary>
public interface ITextClassifier
{
    /// <summary>The labels this classifier can answer, in the order its scores use.</summary>
    IReadOnlyList<string> Labels { get; }

    Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>Classifies many texts; results come back in input order.</summary>
    Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);
}

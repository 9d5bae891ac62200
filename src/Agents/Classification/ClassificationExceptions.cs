using KnowledgeQa.Retrieval;

namespace KnowledgeQa.Agents.Classification;

/// <summary>A classification request that cannot work as given (no labels, unknown label, empty training data).</summary>
public class ClassificationException(string message, Exception? inner = null) : KnowledgeQaException(message, inner);

/// <summary>A labelled-data file (JSONL or CSV) could not be read; names the file and line.</summary>
public sealed class LabelledDataException(string path, int line, string reason)
    : ClassificationException(line > 0 ? $"{path}:{line}: {reason}" : $"{path}: {reason}")
{
    public string Path { get; } = path;
    public int Line { get; } = line;
}

/// <summary>A trained classifier file is unreadable or not a classifier file.</summary>
public sealed class ClassifierFileException(string path, string reason, Exception? inner = null)
    : ClassificationException($"{path}: {reason}", inner)
{
    public string Path { get; } = path;
}

/// <summary>
/// A trained classifier was loaded with an embedding model other than the one it was trained
/// with: its weights mean nothing in another model's vector space.
/// </summary>
public sealed class EmbeddingModelMismatchException : ClassificationException
{
    public EmbeddingModelMismatchException(string path, string trainedModelId, int trainedDimensions, string? currentModelId, int? currentDimensions)
        : base($"{path}: this classifier was trained with the embedding model '{trainedModelId}' ({trainedDimensions} dimensions), " +
               $"but the current embedding model is '{currentModelId ?? "unknown"}' ({(currentDimensions is { } d ? d.ToString() : "unknown")} dimensions). " +
               $"Load it with '{trainedModelId}', or retrain it with the current model.")
    {
        TrainedModelId = trainedModelId;
        TrainedDimensions = trainedDimensions;
        CurrentModelId = currentModelId;
        CurrentDimensions = currentDimensions;
    }

    public string TrainedModelId { get; }
    public int TrainedDimensions { get; }
    public string? CurrentModelId { get; }
    public int? CurrentDimensions { get; }
}

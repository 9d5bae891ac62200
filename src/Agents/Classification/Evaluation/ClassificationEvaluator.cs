using System.Diagnostics;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// A way to build a classifier from training examples, evaluated by <see cref="ClassificationEvaluator"/>.
/// Methods that sample (few-shot) run <see cref="Repeats"/> times with the repeat index as seed and are averaged.
/// </summary>
public sealed record ClassificationMethod(
    string Name,
    Func<IReadOnlyList<LabelledText>, int, CancellationToken, Task<ITextClassifier>> Build,
    int Repeats = 1,
    Func<string, string>? MapPrediction = null);

/// <summary>One method's scores on one test set (means over repeats; the spread is the sample standard deviation).</summary>
public sealed record MethodEvaluation(
    string Method,
    double Accuracy,
    double MacroF1,
    double AccuracySpread,
    int Repeats,
    int TestCount,
    TimeSpan BuildTime,
    TimeSpan ClassifyTime);

/// <summary>Runs classification methods on a train/test split and scores them with accuracy and macro-F1.</summary>
public sealed class ClassificationEvaluator
{
    public async Task<IReadOnlyList<MethodEvaluation>> EvaluateAsync(
        IReadOnlyList<LabelledText> train,
        IReadOnlyList<LabelledText> test,
        IEnumerable<ClassificationMethod> methods,
        IProgress<MethodEvaluation>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var gold = test.Select(t => t.Label).ToArray();
        var texts = test.Select(t => t.Text).ToArray();
        var labels = train.Select(t => t.Label).Concat(gold).Distinct(StringComparer.Ordinal).ToArray();
        var results = new List<MethodEvaluation>();
        foreach (var method in methods)
        {
            var scores = new List<ClassificationMetrics>();
            var buildTime = TimeSpan.Zero;
            var classifyTime = TimeSpan.Zero;
            for (var repeat = 0; repeat < Math.Max(1, method.Repeats); repeat++)
            {
                var clock = Stopwatch.StartNew();
                var classifier = await method.Build(train, repeat, cancellationToken).ConfigureAwait(false);
                buildTime += clock.Elapsed;
                clock.Restart();
                var predictions = await classifier.ClassifyBatchAsync(texts, cancellationToken).ConfigureAwait(false);
                classifyTime += clock.Elapsed;
                var predicted = predictions.Select(p => method.MapPrediction?.Invoke(p.Label) ?? p.Label).ToArray();
                scores.Add(ClassificationMetrics.Compute(gold, predicted, labels));
            }
            var accuracies = scores.Select(s => s.Accuracy).ToArray();
            var mean = accuracies.Average();
            var spread = accuracies.Length > 1 ? Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Length - 1)) : 0;
            var evaluation = new MethodEvaluation(method.Name, mean, scores.Average(s => s.MacroF1), spread, scores.Count, test.Count,
                buildTime / scores.Count, classifyTime / scores.Count);
            results.Add(evaluation);
            progress?.Report(evaluation);
        }
        return results;
    }
}

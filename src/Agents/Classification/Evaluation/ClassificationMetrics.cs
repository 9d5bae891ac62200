namespace KnowledgeQa.Agents.Classification;

/// <summary>Accuracy and macro-averaged F1 of predictions against gold labels.</summary>
public sealed record ClassificationMetrics(double Accuracy, double MacroF1, IReadOnlyDictionary<string, double> F1ByLabel, int Count)
{
    /// <param name="labels">The label set F1 is averaged over: every gold label counts, even one never predicted (F1 0).</param>
    public static ClassificationMetrics Compute(IReadOnlyList<string> gold, IReadOnlyList<string> predicted, IEnumerable<string>? labels = null)
    {
        if (gold.Count != predicted.Count) throw new ArgumentException("One prediction per gold label is needed.", nameof(predicted));
        if (gold.Count == 0) throw new ArgumentException("No examples to score.", nameof(gold));
        var labelSet = (labels ?? gold).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var correct = 0;
        var truePositives = new Dictionary<string, int>(StringComparer.Ordinal);
        var predictedCount = new Dictionary<string, int>(StringComparer.Ordinal);
        var goldCount = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < gold.Count; i++)
        {
            goldCount[gold[i]] = goldCount.GetValueOrDefault(gold[i]) + 1;
            predictedCount[predicted[i]] = predictedCount.GetValueOrDefault(predicted[i]) + 1;
            if (gold[i] != predicted[i]) continue;
            correct++;
            truePositives[gold[i]] = truePositives.GetValueOrDefault(gold[i]) + 1;
        }
        var f1 = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var label in labelSet)
        {
            var tp = truePositives.GetValueOrDefault(label);
            var denominator = predictedCount.GetValueOrDefault(label) + goldCount.GetValueOrDefault(label);
            f1[label] = denominator == 0 ? 0 : 2.0 * tp / denominator;
        }
        return new ClassificationMetrics((double)correct / gold.Count, f1.Values.Average(), f1, gold.Count);
    }
}

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// Fits the softmax temperature that turns similarity scores into calibrated probabilities, by
/// minimising the negative log-likelihood of the gold labels (temperature scaling). The NLL is
/// convex in 1/T, so a golden-section search over log(1/T) finds the optimum.
/// </summary>
public static class TemperatureCalibrator
{
    public const double MinTemperature = 1e-3;
    public const double MaxTemperature = 10;

    /// <param name="scores">One row of raw scores (for example cosines) per example, one column per label.</param>
    /// <param name="gold">The gold label index of each row.</param>
    public static double Fit(IReadOnlyList<double[]> scores, IReadOnlyList<int> gold)
    {
        if (scores.Count != gold.Count) throw new ArgumentException("One gold index per row is needed.", nameof(gold));
        if (scores.Count == 0) throw new ClassificationException("Temperature calibration needs at least one labelled example.");

        double lo = Math.Log(1 / MaxTemperature), hi = Math.Log(1 / MinTemperature);
        var ratio = (Math.Sqrt(5) - 1) / 2;
        double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
        double fa = NegativeLogLikelihood(scores, gold, Math.Exp(a)), fb = NegativeLogLikelihood(scores, gold, Math.Exp(b));
        for (var i = 0; i < 60; i++)
        {
            if (fa < fb) { hi = b; b = a; fb = fa; a = hi - ratio * (hi - lo); fa = NegativeLogLikelihood(scores, gold, Math.Exp(a)); }
            else { lo = a; a = b; fa = fb; b = lo + ratio * (hi - lo); fb = NegativeLogLikelihood(scores, gold, Math.Exp(b)); }
        }
        return 1 / Math.Exp((lo + hi) / 2);
    }

    /// <summary>Mean negative log-likelihood of the gold labels under softmax(scores * inverseTemperature).</summary>
    public static double NegativeLogLikelihood(IReadOnlyList<double[]> scores, IReadOnlyList<int> gold, double inverseTemperature)
    {
        var total = 0.0;
        for (var i = 0; i < scores.Count; i++)
        {
            var row = scores[i];
            var max = row.Max() * inverseTemperature;
            var sum = 0.0;
            foreach (var s in row) sum += Math.Exp(s * inverseTemperature - max);
            total += max + Math.Log(sum) - row[gold[i]] * inverseTemperature;
        }
        return total / scores.Count;
    }
}

using KnowledgeQa.Retrieval;
namespace KnowledgeQa.Agents.Classification;

/// <summary>Hyper-parameters of the logistic-regression head.</summary>
public sealed class SoftmaxRegressionOptions
{
    /// <summary>L2 penalty on the weights (not the biases), added to the mean log-loss as λ/2·|w|².</summary>
    public double L2 { get; set; } = 1e-4;

    /// <summary>Adam step size.</summary>
    public double LearningRate { get; set; } = 0.03;

    public int BatchSize { get; set; } = 32;

    public int MaxEpochs { get; set; } = 100;

    /// <summary>Epochs without a better validation loss before training stops (the best weights are kept).</summary>
    public int Patience { get; set; } = 5;

    /// <summary>Seeds the shuffling, so the same data and options give the same model.</summary>
    public int Seed { get; set; } = 42;

    internal void Validate()
    {
        if (L2 < 0) throw new InvalidOptionException($"The L2 penalty must not be negative; got {L2}.");
        if (LearningRate <= 0) throw new InvalidOptionException($"The learning rate must be positive; got {LearningRate}.");
        if (BatchSize < 1) throw new InvalidOptionException($"The batch size must be at least 1; got {BatchSize}.");
        if (MaxEpochs < 1) throw new InvalidOptionException($"The epoch limit must be at least 1; got {MaxEpochs}.");
        if (Patience < 1) throw new InvalidOptionException($"The early-stopping patience must be at least 1; got {Patience}.");
    }
}

/// <summary>What happened during training: how long it ran and how good the kept weights are on held-out data.</summary>
public sealed record TrainingHistory(int EpochsRun, int BestEpoch, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>
/// Mini-batch Adam on the L2-regularised log-loss, early-stopped on the validation loss. Sparse
/// weights are updated lazily (only the buckets a batch touches, the usual "lazy Adam"): a full
/// update of 2^18 buckets per step would cost more than the data.
/// </summary>
internal static class SoftmaxRegressionTrainer
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    public static (SoftmaxRegression Model, TrainingHistory History) Train(
        IReadOnlyList<FeatureRow> train, IReadOnlyList<int> trainLabels,
        IReadOnlyList<FeatureRow>? validation, IReadOnlyList<int>? validationLabels,
        int classes, int denseDimensions, int sparseBuckets,
        SoftmaxRegressionOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var model = new SoftmaxRegression(classes, denseDimensions, sparseBuckets);
        var state = new AdamState(model);
        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var hasValidation = validation is { Count: > 0 } && validationLabels is not null;

        SoftmaxRegression? best = null;
        double bestLoss = double.PositiveInfinity, trainLoss = 0;
        int bestEpoch = 0, epoch = 0, sinceBest = 0;
        for (epoch = 1; epoch <= options.MaxEpochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            random.Shuffle(order);
            trainLoss = 0;
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var batch = order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start));
                trainLoss += state.Step(train, trainLabels, batch, options);
            }
            trainLoss /= Math.Max(1, order.Length);

            if (!hasValidation) continue;
            var loss = MeanLoss(model, validation!, validationLabels!);
            if (loss < bestLoss - 1e-6)
            {
                bestLoss = loss;
                bestEpoch = epoch;
                best = model.Clone();
                sinceBest = 0;
            }
            else if (++sinceBest >= options.Patience) break;
        }
        epoch = Math.Min(epoch, options.MaxEpochs);

        if (!hasValidation) return (model, new TrainingHistory(epoch, epoch, trainLoss, null, null));
        var kept = best ?? model;
        return (kept, new TrainingHistory(epoch, bestEpoch, trainLoss, bestLoss, Accuracy(kept, validation!, validationLabels!)));
    }

    public static double MeanLoss(SoftmaxRegression model, IReadOnlyList<FeatureRow> rows, IReadOnlyList<int> labels)
    {
        Span<double> p = stackalloc double[model.Classes];
        var total = 0.0;
        for (var i = 0; i < rows.Count; i++) total += model.Probabilities(rows[i], p, labels[i]);
        return total / rows.Count;
    }

    private static double Accuracy(SoftmaxRegression model, IReadOnlyList<FeatureRow> rows, IReadOnlyList<int> labels)
    {
        Span<double> p = stackalloc double[model.Classes];
        var correct = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            model.Probabilities(rows[i], p);
            if (VectorMath.ArgMax(p) == labels[i]) correct++;
        }
        return (double)correct / rows.Count;
    }

    private sealed class AdamState
    {
        private readonly SoftmaxRegression _model;
        private readonly float[] _denseGrad, _denseM, _denseV, _biasGrad, _biasM, _biasV;
        private readonly float[] _sparseGrad, _sparseM, _sparseV;
        private readonly int[] _touchedStamp;
        private readonly List<int> _touched = [];
        private int _step;

        public AdamState(SoftmaxRegression model)
        {
            _model = model;
            _denseGrad = new float[model.DenseWeights.Length];
            _denseM = new float[model.DenseWeights.Length];
            _denseV = new float[model.DenseWeights.Length];
            _biasGrad = new float[model.Classes];
            _biasM = new float[model.Classes];
            _biasV = new float[model.Classes];
            _sparseGrad = new float[model.SparseWeights.Length];
            _sparseM = new float[model.SparseWeights.Length];
            _sparseV = new float[model.SparseWeights.Length];
            _touchedStamp = new int[model.SparseBuckets];
        }

        /// <summary>One Adam step on a mini-batch; returns the summed log-loss of the batch (before the step).</summary>
        public double Step(IReadOnlyList<FeatureRow> rows, IReadOnlyList<int> labels, ReadOnlySpan<int> batch, SoftmaxRegressionOptions options)
        {
            _step++;
            int classes = _model.Classes, dims = _model.DenseDimensions;
            Array.Clear(_denseGrad);
            Array.Clear(_biasGrad);
            _touched.Clear();
            Span<double> p = stackalloc double[classes];
            var loss = 0.0;
            foreach (var i in batch)
            {
                var row = rows[i];
                loss += _model.Probabilities(row, p, labels[i]);
                p[labels[i]] -= 1; // gradient of the log-loss wrt the logits
                for (var c = 0; c < classes; c++)
                {
                    var g = (float)p[c];
                    _biasGrad[c] += g;
                    if (dims > 0) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row.Dense, g, _denseGrad.AsSpan(c * dims, dims), _denseGrad.AsSpan(c * dims, dims));
                }
                var (indices, values) = (row.Sparse.Indices, row.Sparse.Values);
                for (var k = 0; k < indices.Length; k++)
                {
                    var bucket = indices[k];
                    if (_touchedStamp[bucket] != _step) { _touchedStamp[bucket] = _step; _touched.Add(bucket); }
                    var offset = bucket * classes;
                    for (var c = 0; c < classes; c++) _sparseGrad[offset + c] += (float)p[c] * values[k];
                }
            }

            var scale = 1f / batch.Length;
            var l2 = (float)options.L2;
            var lr = options.LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, _step)) / (1 - Math.Pow(Beta1, _step));
            for (var j = 0; j < _denseGrad.Length; j++)
                Update(_model.DenseWeights, _denseM, _denseV, j, _denseGrad[j] * scale + l2 * _model.DenseWeights[j], lr);
            for (var c = 0; c < classes; c++)
                Update(_model.Bias, _biasM, _biasV, c, _biasGrad[c] * scale, lr);
            foreach (var bucket in _touched)
            {
                var offset = bucket * classes;
                for (var c = 0; c < classes; c++)
                {
                    var j = offset + c;
                    Update(_model.SparseWeights, _sparseM, _sparseV, j, _sparseGrad[j] * scale + l2 * _model.SparseWeights[j], lr);
                    _sparseGrad[j] = 0;
                }
            }
            return loss;
        }

        private static void Update(float[] w, float[] m, float[] v, int j, float g, double lr)
        {
            m[j] = (float)(Beta1 * m[j] + (1 - Beta1) * g);
            v[j] = (float)(Beta2 * v[j] + (1 - Beta2) * g * g);
            w[j] -= (float)(lr * m[j] / (Math.Sqrt(v[j]) + Epsilon));
        }
    }
}

using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Bench;

/// <summary>
/// The baseline of the embedding figures: ONNX Runtime as a user would call it directly, on the same ONNX
/// file the generator runs (the unpacked bundled model or its int8 variant), with the inputs prepared up front
/// (the generator's token ids, right-padded batches in its order, longest first) and outputs left to ONNX
/// Runtime. It does nothing but the Run calls, so ours / bare is the generator's overhead.
/// </summary>
internal sealed class BareOnnxSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly List<(long[] Ids, long[] Mask, long[] Types, long[] Shape)> _batches = [];
    private readonly string[] _inputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private readonly string[] _outputNames;
    private readonly int _lanes;
    private readonly List<int> _callEnds = []; // batch index after each call's last run: lanes never run two calls at once

    private BareOnnxSession(string modelFile, string provider, int threads, bool spinning, int batchSize, int batchTokens, EmbeddingRunPlan plan,
        int padding, int[][] ids, int callSize, int lanes = 1)
    {
        _lanes = Math.Max(1, lanes);
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (provider == "cuda")
            sessionOptions.AppendExecutionProvider_CUDA(0);
        if (threads > 0)
            sessionOptions.IntraOpNumThreads = threads;
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
        _session = new InferenceSession(modelFile, sessionOptions);
        if (!_session.InputMetadata.ContainsKey("token_type_ids"))
            _inputNames = ["input_ids", "attention_mask"];
        _outputNames = [_session.OutputMetadata.ContainsKey("last_hidden_state") ? "last_hidden_state" : _session.OutputMetadata.Keys.First()];

        // The generator sorts the inputs of each call longest first and batches them; so does this.
        foreach (var batch in Runs(ids.Select(i => i.Length).ToArray(), callSize, batchSize, batchTokens, plan, _callEnds))
        {
            var length = batch.Max(i => ids[i].Length);
            var inputIds = new long[batch.Length * length];
            var mask = new long[batch.Length * length];
            for (var r = 0; r < batch.Length; r++)
            {
                var row = ids[batch[r]];
                for (var t = 0; t < length; t++)
                {
                    inputIds[r * length + t] = t < row.Length ? row[t] : padding;
                    mask[r * length + t] = t < row.Length ? 1 : 0;
                }
            }
            _batches.Add((inputIds, mask, new long[batch.Length * length], [batch.Length, length]));
        }
        PaddedCellsPerToken = (double)_batches.Sum(b => (long)b.Ids.Length) / Math.Max(1, ids.Sum(i => (long)i.Length));
    }

    /// <summary>A bare session on the file <paramref name="generator"/> loaded, fed <paramref name="ids"/> in calls of <paramref name="callSize"/>.</summary>
    /// <param name="spinning">ONNX Runtime's thread spinning, as <see cref="EmbeddingOptions.AllowThreadSpinning"/> sets it for the generator.</param>
    /// <param name="batchTokens">the generator's <see cref="EmbeddingOptions.BatchTokens"/>; the runs are planned as the generator plans them.</param>
    /// The session's threads and how many runs go side by side are the generator's (its resolved
    /// <see cref="EmbeddingOptions.IntraOpThreads"/> and <see cref="EmbeddingOptions.ParallelRuns"/>).
    public static BareOnnxSession For(OnnxEmbeddingGenerator generator, int[][] ids, int batchSize, int callSize = int.MaxValue, bool spinning = false,
        int batchTokens = 4096) =>
        new(generator.LoadReport.ModelFile
                ?? throw new InvalidOperationException("the benchmark needs the model cache (EmbeddingOptions.UseCache)"),
            generator.LoadReport.ExecutionProvider, generator.SessionThreads, spinning, batchSize, batchTokens, generator.RunPlanUsed,
            ((EmbeddingTokenizer)generator.TokenCounter).PaddingTokenId, ids, callSize, generator.ParallelRuns);

    /// <summary>Like <see cref="For"/>, on another ONNX file of the same model (a variant to compare), on the CPU, sleeping threads, pad-free runs, the generator's threads and parallel runs.</summary>
    public static BareOnnxSession ForFile(string modelFile, OnnxEmbeddingGenerator generator, int[][] ids, int batchSize) =>
        new(modelFile, "cpu", generator.SessionThreads, false, batchSize, 4096, EmbeddingRunPlan.PadFree, ((EmbeddingTokenizer)generator.TokenCounter).PaddingTokenId, ids,
            int.MaxValue, generator.ParallelRuns);

    /// <summary>
    /// The runs the generator makes of inputs of these lengths given in calls of <paramref name="callSize"/>: each call
    /// sorted longest first, then cut into fixed runs of <paramref name="batchSize"/> or as <see cref="EmbeddingBatchPlanner"/> plans.
    /// </summary>
    public static List<int[]> Runs(int[] lengths, int callSize, int batchSize, int batchTokens, EmbeddingRunPlan plan, List<int>? callEnds = null)
    {
        var runs = new List<int[]>();
        foreach (var call in Enumerable.Range(0, lengths.Length).Chunk(callSize))
        {
            var sorted = call.OrderByDescending(i => lengths[i]).ToArray();
            var start = 0;
            foreach (var size in EmbeddingBatchPlanner.Sizes(sorted.Select(i => lengths[i]).ToArray(), batchSize, batchTokens, plan))
            {
                runs.Add(sorted[start..(start + size)]);
                start += size;
            }
            callEnds?.Add(runs.Count);
        }
        return runs;
    }

    /// <summary>Token cells fed (padding included) over real tokens: the share of the work spent on padding.</summary>
    public double PaddedCellsPerToken { get; private set; }

    /// <summary>Every run, call by call; within a call, as many runs at once as the generator makes (each lane takes the next).</summary>
    public void Run()
    {
        var start = 0;
        foreach (var end in _callEnds)
        {
            var next = start - 1;
            void Lane()
            {
                using var runOptions = new RunOptions();
                int taken;
                while ((taken = Interlocked.Increment(ref next)) < end)
                {
                    RunOne(_batches[taken], runOptions);
                }
            }
            var helpers = Enumerable.Range(1, Math.Min(_lanes, end - start) - 1)
                .Select(_ => Task.Factory.StartNew(Lane, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            Lane();
            Task.WaitAll(helpers);
            start = end;
        }
    }

    private void RunOne((long[] Ids, long[] Mask, long[] Types, long[] Shape) batch, RunOptions runOptions)
    {
        var (ids, mask, types, shape) = batch;
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        OrtValue[] inputs = _inputNames.Length == 3 ? [idsValue, maskValue, typesValue] : [idsValue, maskValue];
        using var outputs = _session.Run(runOptions, _inputNames, inputs, _outputNames);
    }

    public void Dispose() => _session.Dispose();
}

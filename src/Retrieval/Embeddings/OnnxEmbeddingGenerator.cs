using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using KnowledgeQa.Retrieval.Chunking;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// Embeds text locally with a BERT-family ONNX model: the bundled all-MiniLM-L6-v2, or any model folder
/// with model.onnx plus vocab.txt or a WordPiece tokenizer.json. Vectors are pooled (mean or CLS, as the
/// model was trained) and L2-normalised, so a dot product is the cosine similarity.
/// </summary>
/// <remarks>
/// One instance is meant to live for the application: loading the model takes a while, and
/// <see cref="GenerateAsync"/> is safe to call from many threads at once (ONNX Runtime sessions are).
/// The work is CPU-bound and runs on the calling thread.
/// </remarks>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const string ProviderName = "onnxruntime";

    /// <summary>Appended to the model id of the int8 variant.</summary>
    public const string Int8Suffix = "-int8";

    private readonly InferenceSession _session;
    private readonly EmbeddingTokenizer _tokenizer;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private readonly PoolingMode _pooling;
    private readonly int _batchSize;
    private readonly int _batchTokens;
    private readonly EmbeddingRunPlan _runPlan;
    private readonly int _parallelRuns;
    private readonly string[] _inputNames;
    private readonly bool _feedsAttentionMask;
    private readonly bool _feedsTokenTypes;
    private readonly string[] _outputNames;
    /// <summary>True when the graph already pools ([batch, dimensions] output) and only normalising is left.</summary>
    private readonly bool _outputIsPooled;
    private volatile bool _disposed;

    public OnnxEmbeddingGenerator(EmbeddingOptions? options = null)
    {
        options ??= new EmbeddingOptions();
        Validate(options);

        var source = string.IsNullOrWhiteSpace(options.ModelPath)
            ? EmbeddingModelSource.Bundled()
            : ModelFolderReader.Read(options.ModelPath);

        if (options.Pooling == PoolingMode.Auto && source.UnsupportedPooling is { } problem)
        {
            throw new EmbeddingModelException(problem);
        }
        _pooling = options.Pooling != PoolingMode.Auto ? options.Pooling : source.Pooling ?? PoolingMode.Mean;
        _batchSize = options.BatchSize;
        _batchTokens = options.BatchTokens;

        var provider = OnnxSessionLoader.NormalizeProvider(options.ExecutionProvider);
        _parallelRuns = OnnxSessionLoader.ParallelRuns(provider, options);
        SessionThreads = OnnxSessionLoader.IntraOpThreads(provider, options);
        // Auto: int8 on the CPU, where it halves the CPU per chunk at float32's retrieval quality (SciFact,
        // bench `quality`); the quantized MatMuls are CPU kernels, so CUDA runs the float32 model.
        Precision = options.Precision != EmbeddingPrecision.Auto ? options.Precision
            : provider == OnnxSessionLoader.Cuda ? EmbeddingPrecision.Float32 : EmbeddingPrecision.Int8;
        ModelId = Precision == EmbeddingPrecision.Int8 ? source.ModelId + Int8Suffix : source.ModelId;
        _runPlan = RunPlan(options, provider, Precision);

        var watch = Stopwatch.StartNew();
        _tokenizer = EmbeddingTokenizer.Create(source, options);
        MaxTokens = _tokenizer.MaxTokens;
        var tokenizerTime = watch.Elapsed;

        var cache = ModelFileCache.Create(options);
        var modelTime = TimeSpan.Zero;
        EmbeddingModelFile Resolve()
        {
            var started = Stopwatch.GetTimestamp();
            var file = EmbeddingModelFile.Resolve(source, Precision, cache);
            modelTime += Stopwatch.GetElapsedTime(started);
            return file;
        }
        watch.Restart();
        _session = OnnxSessionLoader.Load(Resolve, source, options, out var model);
        LoadReport = new EmbeddingLoadReport(Precision, provider, model.Path, model.Created, modelTime, watch.Elapsed - modelTime, tokenizerTime);
        try
        {
            (_inputNames, _feedsAttentionMask, _feedsTokenTypes) = ReadInputs(_session, source);
            (_outputNames, _outputIsPooled, var dimensions) = ReadOutput(_session, source);
            Dimensions = dimensions > 0 ? dimensions : ProbeDimensions();
        }
        catch
        {
            _session.Dispose();
            throw;
        }
        _metadata = new EmbeddingGeneratorMetadata(ProviderName, null, ModelId, Dimensions);
    }

    /// <summary>Length of every vector.</summary>
    public int Dimensions { get; }

    /// <summary>
    /// "all-MiniLM-L6-v2" for the bundled model, otherwise the model folder's name; with "-int8" appended for
    /// the int8 variant, whose vectors differ slightly, so that a store or a trained classifier records which one
    /// made its vectors and refuses the other.
    /// </summary>
    public string ModelId { get; }

    /// <summary>The precision the model runs in (never Auto: that is resolved at load).</summary>
    public EmbeddingPrecision Precision { get; }

    /// <summary>What loading the model took, and where its files came from (for start-up diagnostics).</summary>
    public EmbeddingLoadReport LoadReport { get; }

    /// <summary>How many runs of one call go to ONNX Runtime at once (<see cref="EmbeddingOptions.ParallelRuns"/> resolved).</summary>
    public int ParallelRuns => _parallelRuns;

    /// <summary>The session's intra-op threads per run; 0: ONNX Runtime's choice.</summary>
    internal int SessionThreads { get; }

    /// <summary>Tokens per input, [CLS] and [SEP] included; longer inputs are truncated.</summary>
    public int MaxTokens { get; }

    /// <summary>Counts tokens as this model does; the chunker uses it to make chunks that fit.</summary>
    public ITokenCounter TokenCounter => _tokenizer;

    /// <summary>The token ids the model is fed for <paramref name="text"/>, special tokens included, truncated to <see cref="MaxTokens"/>.</summary>
    public int[] EncodeToIds(string text) => _tokenizer.EncodeToIds(text);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (options?.Dimensions is { } requested && requested != Dimensions)
        {
            throw new InvalidOptionException(
                $"EmbeddingGenerationOptions.Dimensions is {requested}, but {ModelId} makes {Dimensions}-dimensional vectors. Leave it unset.");
        }

        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var ids = new int[texts.Count][];
        long tokens = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ids[i] = _tokenizer.EncodeToIds(texts[i] ?? throw new ArgumentException($"Input {i} is null.", nameof(values)));
            tokens += ids[i].Length;
        }

        var vectors = Embed(ids, cancellationToken);
        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length)
        {
            Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
        };
        foreach (var vector in vectors)
        {
            result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = created });
        }
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }
        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }
        if (serviceType.IsInstanceOfType(_tokenizer))
        {
            return _tokenizer;
        }
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        _disposed = true;
        _session.Dispose();
    }

    /// <summary>Embeds inputs already turned into ids by <see cref="EncodeToIds"/>.</summary>
    private float[][] Embed(int[][] ids, CancellationToken cancellationToken)
    {
        // Longest first, so each batch holds inputs of similar length and little padding is computed;
        // padding is masked out, so the order never changes a float32 vector.
        var order = new int[ids.Length];
        var keys = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            order[i] = i;
            keys[i] = -ids[i].Length;
        }
        Array.Sort(keys, order);
        var lengths = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            lengths[i] = -keys[i];
        }
        // On the CPU only inputs of one length share a run (nothing is padded); on CUDA the runs are cut where
        // the least padding is computed; fixed runs of BatchSize are the benchmark's "before".
        var sizes = EmbeddingBatchPlanner.Sizes(lengths, _batchSize, _batchTokens, _runPlan);

        var runs = new (int Start, int Size)[sizes.Count];
        for (int r = 0, start = 0; r < runs.Length; start += sizes[r], r++)
        {
            runs[r] = (start, sizes[r]);
        }

        var vectors = new float[ids.Length][];
        var lanes = Math.Min(_parallelRuns, runs.Length);
        if (lanes <= 1)
        {
            RunLane(ids, order, runs, new StrongBox<int>(-1), vectors, cancellationToken);
            return vectors;
        }
        // Each lane takes the next run (longest first, so the lanes end close together). Dedicated threads,
        // not the thread pool: the caller may be a pool thread whose peers are busy reading and writing.
        var next = new StrongBox<int>(-1);
        var helpers = new Task[lanes - 1];
        for (var l = 0; l < helpers.Length; l++)
        {
            helpers[l] = Task.Factory.StartNew(() => RunLane(ids, order, runs, next, vectors, cancellationToken),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        Exception? failure = null;
        try
        {
            RunLane(ids, order, runs, next, vectors, cancellationToken);
        }
        catch (Exception e)
        {
            failure = e;
        }
        try
        {
            Task.WaitAll(helpers);
        }
        catch (AggregateException e)
        {
            failure ??= e.InnerExceptions[0];
        }
        if (failure is not null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
        return vectors;
    }

    /// <summary>Runs the next run not yet taken (<paramref name="next"/> counts them) until none is left.</summary>
    private void RunLane(int[][] ids, int[] order, (int Start, int Size)[] runs, StrongBox<int> next, float[][] vectors, CancellationToken cancellationToken)
    {
        using var runOptions = new RunOptions();
        using var cancellation = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions)
            : default;
        int taken;
        try
        {
            while ((taken = Interlocked.Increment(ref next.Value)) < runs.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                RunBatch(ids, order.AsSpan(runs[taken].Start, runs[taken].Size), vectors, runOptions);
            }
        }
        catch (Exception e)
        {
            Volatile.Write(ref next.Value, runs.Length); // the other lanes stop after their current run
            if (e is OnnxRuntimeException && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            throw;
        }
    }

    private void RunBatch(int[][] ids, ReadOnlySpan<int> batch, float[][] vectors, RunOptions runOptions)
    {
        var rows = batch.Length;
        var length = 0;
        foreach (var index in batch)
        {
            length = Math.Max(length, ids[index].Length);
        }

        var cells = rows * length;
        var outputLength = _outputIsPooled ? rows * Dimensions : cells * Dimensions;
        var inputIds = ArrayPool<long>.Shared.Rent(cells);
        var mask = _feedsAttentionMask ? ArrayPool<long>.Shared.Rent(cells) : null;
        var types = _feedsTokenTypes ? ArrayPool<long>.Shared.Rent(cells) : null;
        var output = ArrayPool<float>.Shared.Rent(outputLength);
        var values = new List<OrtValue>(3);
        try
        {
            long padding = _tokenizer.PaddingTokenId;
            for (var r = 0; r < rows; r++)
            {
                var row = ids[batch[r]];
                var idRow = inputIds.AsSpan(r * length, length);
                for (var t = 0; t < row.Length; t++)
                {
                    idRow[t] = row[t];
                }
                idRow[row.Length..].Fill(padding);
                if (mask is not null)
                {
                    var maskRow = mask.AsSpan(r * length, length);
                    maskRow[..row.Length].Fill(1);
                    maskRow[row.Length..].Clear();
                }
            }
            types?.AsSpan(0, cells).Clear();

            long[] shape = [rows, length];
            values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputIds.AsMemory(0, cells), shape));
            if (mask is not null)
            {
                values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, mask.AsMemory(0, cells), shape));
            }
            if (types is not null)
            {
                values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, types.AsMemory(0, cells), shape));
            }
            long[] outputShape = _outputIsPooled ? [rows, Dimensions] : [rows, length, Dimensions];
            using var outputValue = OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, output.AsMemory(0, outputLength), outputShape);

            _session.Run(runOptions, _inputNames, values, _outputNames, [outputValue]);

            var rowLength = _outputIsPooled ? Dimensions : length * Dimensions;
            for (var r = 0; r < rows; r++)
            {
                var vector = new float[Dimensions];
                var rowValues = output.AsSpan(r * rowLength, rowLength);
                if (_outputIsPooled)
                {
                    rowValues.CopyTo(vector);
                    EmbeddingPooling.Normalize(vector);
                }
                else
                {
                    EmbeddingPooling.Pool(_pooling, rowValues, ids[batch[r]].Length, vector);
                }
                vectors[batch[r]] = vector;
            }
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
            ArrayPool<long>.Shared.Return(inputIds);
            if (mask is not null)
            {
                ArrayPool<long>.Shared.Return(mask);
            }
            if (types is not null)
            {
                ArrayPool<long>.Shared.Return(types);
            }
            ArrayPool<float>.Shared.Return(output);
        }
    }

    /// <summary>For graphs whose output width is symbolic: one tiny run tells it.</summary>
    private int ProbeDimensions()
    {
        var ids = _tokenizer.EncodeToIds("a");
        var inputs = new List<OrtValue>();
        try
        {
            long[] shape = [1, ids.Length];
            inputs.Add(OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), shape));
            if (_feedsAttentionMask)
            {
                inputs.Add(OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape));
            }
            if (_feedsTokenTypes)
            {
                inputs.Add(OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape));
            }
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, _inputNames, inputs, _outputNames);
            return (int)outputs[0].GetTensorTypeAndShape().Shape[^1];
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }
    }

    /// <summary>
    /// Pad-free runs on the CPU, where they cost less (see <see cref="EmbeddingBatchPlanner"/>), and always for
    /// the int8 model, whose attention has no padding mask (<see cref="Onnx.OnnxAttentionFusion"/>); on CUDA,
    /// wide length-aware runs keep the GPU busy.
    /// </summary>
    private static EmbeddingRunPlan RunPlan(EmbeddingOptions options, string provider, EmbeddingPrecision precision)
    {
        if (!options.FixedBatches)
        {
            return provider == OnnxSessionLoader.Cpu || precision == EmbeddingPrecision.Int8 ? EmbeddingRunPlan.PadFree : EmbeddingRunPlan.LengthAware;
        }
        if (precision == EmbeddingPrecision.Int8)
        {
            throw new InvalidOptionException(
                "Embedding FixedBatches pads the inputs of a run, and the int8 model attends to every token of a run: use Precision Float32 for fixed batches.");
        }
        return EmbeddingRunPlan.Fixed;
    }

    /// <summary>How this generator cuts the inputs of a call into runs (for the benchmarks' bare sessions).</summary>
    internal EmbeddingRunPlan RunPlanUsed => _runPlan;

    private static void Validate(EmbeddingOptions options)
    {
        if (options.BatchSize < 1)
        {
            throw new InvalidOptionException($"Embedding BatchSize is {options.BatchSize}; it must be 1 or more (16 is a good start).");
        }
        if (options.BatchTokens < 1)
        {
            throw new InvalidOptionException($"Embedding BatchTokens is {options.BatchTokens}; it must be 1 or more (4096 is a good start).");
        }
        if (options.IntraOpThreads < 0)
        {
            throw new InvalidOptionException($"Embedding IntraOpThreads is {options.IntraOpThreads}; use 0 (ONNX Runtime chooses) or a positive thread count.");
        }
        if (options.ParallelRuns < 0)
        {
            throw new InvalidOptionException($"Embedding ParallelRuns is {options.ParallelRuns}; use 0 (one per core on the CPU) or a positive count.");
        }
        if (!Enum.IsDefined(options.Pooling))
        {
            throw new InvalidOptionException($"Embedding Pooling is {options.Pooling}; use Auto, Mean or Cls.");
        }
    }

    private static (string[] Names, bool AttentionMask, bool TokenTypes) ReadInputs(InferenceSession session, EmbeddingModelSource source)
    {
        var inputs = session.InputMetadata;
        var unknown = inputs.Keys.Where(k => k is not ("input_ids" or "attention_mask" or "token_type_ids")).ToArray();
        if (!inputs.ContainsKey("input_ids") || unknown.Length > 0)
        {
            throw new EmbeddingModelException(
                $"{source.ModelLocation} takes inputs [{string.Join(", ", inputs.Keys)}]; a BERT-family encoder takes " +
                "input_ids, attention_mask and optionally token_type_ids. Export the model as a feature-extraction encoder.");
        }
        var attentionMask = inputs.ContainsKey("attention_mask");
        var tokenTypes = inputs.ContainsKey("token_type_ids");
        var names = new List<string> { "input_ids" };
        if (attentionMask)
        {
            names.Add("attention_mask");
        }
        if (tokenTypes)
        {
            names.Add("token_type_ids");
        }
        return ([.. names], attentionMask, tokenTypes);
    }

    private static (string[] Names, bool Pooled, int Dimensions) ReadOutput(InferenceSession session, EmbeddingModelSource source)
    {
        var outputs = session.OutputMetadata;
        // Token vectors are preferred over a graph's own pooled output (MiniLM's second output is BERT's
        // pooler, which sentence-transformers does not use).
        foreach (var name in new[] { "last_hidden_state", "token_embeddings" })
        {
            if (outputs.TryGetValue(name, out var meta) && meta.Dimensions.Length == 3)
            {
                return ([name], false, meta.Dimensions[2]);
            }
        }
        foreach (var (name, meta) in outputs)
        {
            if (meta.Dimensions.Length == 3)
            {
                return ([name], false, meta.Dimensions[2]);
            }
        }
        foreach (var name in new[] { "sentence_embedding", "sentence_embeddings", "embeddings" })
        {
            if (outputs.TryGetValue(name, out var meta) && meta.Dimensions.Length == 2)
            {
                return ([name], true, meta.Dimensions[1]);
            }
        }
        throw new EmbeddingModelException(
            $"{source.ModelLocation} has outputs [{string.Join(", ", outputs.Keys)}] and none is token vectors " +
            "([batch, sequence, dimensions], e.g. last_hidden_state). Export the model as a feature-extraction encoder.");
    }
}

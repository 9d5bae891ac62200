using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// Creates the ONNX Runtime session of an embedding model on the chosen execution provider. A session made
/// from a file of the cache that ONNX Runtime cannot load (damaged on disk) is not left in the way: the file
/// is deleted and derived again, once.
/// </summary>
/// <remarks>
/// ONNX Runtime's optimised-graph cache (SessionOptions.OptimizedModelFilePath) was measured and left out:
/// loading the saved graph of all-MiniLM-L6-v2 with optimisation off took as much CPU time as optimising
/// the original (about 225 ms for the int8 model, 330 ms for float32, on the 2-core development machine),
/// because a session's creation time goes into reading and copying the initializers, not into the graph
/// rewrites; it would only have doubled the disk the cache takes.
/// </remarks>
internal static class OnnxSessionLoader
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    public static InferenceSession Load(Func<EmbeddingModelFile> resolve, EmbeddingModelSource source, EmbeddingOptions options, out EmbeddingModelFile model)
    {
        var provider = NormalizeProvider(options.ExecutionProvider);
        model = resolve();
        try
        {
            try
            {
                return Create(model, provider, options);
            }
            catch (OnnxRuntimeException) when (model.IsCacheFile)
            {
                ModelFileCache.TryDelete(model.Path!);
                model = resolve();
                return Create(model, provider, options);
            }
        }
        catch (Exception e) when (e is OnnxRuntimeException or IOException or UnauthorizedAccessException)
        {
            throw new EmbeddingModelException(
                $"The embedding model {source.ModelLocation} could not be loaded: {e.Message} " +
                "The file may be incomplete or not an ONNX model; download or export it again.", e);
        }
    }

    public static string NormalizeProvider(string? provider) =>
        (provider ?? "").Trim().ToLowerInvariant() switch
        {
            "" or Cpu => Cpu,
            Cuda => Cuda,
            _ => throw new InvalidOptionException($"Embedding ExecutionProvider is '{provider}'; use cpu or cuda."),
        };

    /// <summary>How many runs of a call go side by side (<see cref="EmbeddingOptions.ParallelRuns"/> resolved).</summary>
    public static int ParallelRuns(string provider, EmbeddingOptions options) =>
        options.ParallelRuns > 0 ? options.ParallelRuns
        : provider == Cuda || options.IntraOpThreads > 0 ? 1
        : Math.Max(1, Environment.ProcessorCount);

    /// <summary>The session's intra-op threads; 0 leaves the choice to ONNX Runtime.</summary>
    public static int IntraOpThreads(string provider, EmbeddingOptions options) =>
        options.IntraOpThreads > 0 ? options.IntraOpThreads
        : ParallelRuns(provider, options) > 1 ? 1
        : 0;

    private static InferenceSession Create(EmbeddingModelFile model, string provider, EmbeddingOptions options)
    {
        using var sessionOptions = CreateOptions(provider, options);
        return model.Path is { } path ? new InferenceSession(path, sessionOptions) : new InferenceSession(model.Bytes!, sessionOptions);
    }

    private static SessionOptions CreateOptions(string provider, EmbeddingOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // ONNX Runtime's warnings would go to stderr, which belongs to the application (kqa mcp speaks
            // its protocol on stdout, logs on stderr); errors still surface as exceptions.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (IntraOpThreads(provider, options) is > 0 and var threads)
        {
            sessionOptions.IntraOpNumThreads = threads;
        }
        // ONNX Runtime's own switch for its intra-op thread pool (onnxruntime_session_options_config_keys.h).
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowThreadSpinning ? "1" : "0");
        if (provider == Cuda)
        {
            try
            {
                sessionOptions.AppendExecutionProvider_CUDA(0);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or OnnxRuntimeException)
            {
                sessionOptions.Dispose();
                throw new EmbeddingModelException(
                    $"The CUDA execution provider is not available for embeddings: {e.Message} " +
                    "It needs a build with -p:KqaCudaEmbeddings=true (ONNX Runtime's CUDA package) and, on the machine, an NVIDIA driver with " +
                    "the CUDA and cuDNN libraries it was built for (CUDA 13 and cuDNN 9 for ONNX Runtime 1.31); or set the embedding ExecutionProvider to cpu.", e);
            }
        }
        return sessionOptions;
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// Creates the ONNX Runtime session of an embedding model on the chosen execution provider, and keeps
/// ONNX Runtime's optimised graph (SessionOptions.OptimizedModelFilePath) beside the model in the cache:
/// graph optimisation is most of a session's creation time, and a later start loads the optimised graph
/// with optimisation off. The cached graph's name holds everything the optimisation depends on (the model
/// variant, ONNX Runtime's version, the provider, the CPU's instruction sets), so it is never used where it
/// was not made; one that fails to load is deleted and made again.
/// </summary>
internal static class OnnxSessionLoader
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    /// <summary>The session, and whether its optimised graph came from the cache.</summary>
    public static (InferenceSession Session, bool OptimizedFromCache) Load(
        EmbeddingModelFile model, EmbeddingModelSource source, EmbeddingOptions options)
    {
        var provider = NormalizeProvider(options.ExecutionProvider);
        try
        {
            if (model.CacheFolder is not { } folder)
            {
                using var plain = CreateOptions(provider, options, GraphOptimizationLevel.ORT_ENABLE_ALL);
                return (Create(model, plain), false);
            }

            var optimized = Path.Combine(folder, $"{model.Name}.optimized-{OptimizationKey(provider)}.onnx");
            if (File.Exists(optimized))
            {
                try
                {
                    using var cached = CreateOptions(provider, options, GraphOptimizationLevel.ORT_DISABLE_ALL);
                    return (new InferenceSession(optimized, cached), true);
                }
                catch (OnnxRuntimeException)
                {
                    ModelFileCache.TryDelete(optimized);
                }
            }

            var temporary = ModelFileCache.TemporaryPathFor(optimized);
            using var saving = CreateOptions(provider, options, GraphOptimizationLevel.ORT_ENABLE_ALL);
            saving.OptimizedModelFilePath = temporary;
            var session = Create(model, saving);
            if (File.Exists(temporary))
            {
                ModelFileCache.TryPublish(temporary, optimized);
            }
            return (session, false);
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

    private static InferenceSession Create(EmbeddingModelFile model, SessionOptions options) =>
        model.Path is { } path ? new InferenceSession(path, options) : new InferenceSession(model.Bytes!, options);

    private static SessionOptions CreateOptions(string provider, EmbeddingOptions options, GraphOptimizationLevel level)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = level,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // ONNX Runtime's warnings (for example about saving an optimised graph) would go to stderr,
            // which belongs to the application; errors still surface as exceptions.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (options.IntraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        }
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
                    "Build with -p:KqaCudaEmbeddings=true (ONNX Runtime's CUDA package; the machine needs an NVIDIA driver, " +
                    "the CUDA 12 runtime and cuDNN 9), or set the embedding ExecutionProvider to cpu.", e);
            }
        }
        return sessionOptions;
    }

    /// <summary>What ONNX Runtime's graph optimisation depends on besides the model itself.</summary>
    private static string OptimizationKey(string provider) =>
        ModelFileCache.Hash(string.Join('|',
            OrtEnv.Instance().GetVersionString(), provider, RuntimeInformation.OSArchitecture, RuntimeInformation.ProcessArchitecture,
            InstructionSets()));

    private static string InstructionSets()
    {
        var sets = new List<string>();
        void Add(bool supported, string name)
        {
            if (supported)
            {
                sets.Add(name);
            }
        }
        Add(Sse41.IsSupported, "sse4.1");
        Add(Avx.IsSupported, "avx");
        Add(Avx2.IsSupported, "avx2");
        Add(Fma.IsSupported, "fma");
        Add(AvxVnni.IsSupported, "avxvnni");
        Add(Avx512F.IsSupported, "avx512f");
        Add(Avx512BW.IsSupported, "avx512bw");
        Add(Avx512Vbmi.IsSupported, "avx512vbmi");
        Add(Avx10v1.IsSupported, "avx10.1");
        Add(AdvSimd.IsSupported, "neon");
        Add(Dp.IsSupported, "dotprod");
        return string.Join(',', sets);
    }
}

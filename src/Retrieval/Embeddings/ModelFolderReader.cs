using System.Text;
using System.Text.Json;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// Reads a BERT-family model folder as Hugging Face / sentence-transformers lay it out: model.onnx (or
/// onnx/model.onnx), vocab.txt or a WordPiece tokenizer.json, and the optional configs that say how the
/// model was trained (tokenizer_config.json, sentence_bert_config.json, config.json, 1_Pooling/config.json).
/// </summary>
internal static class ModelFolderReader
{
    private const string Advice =
        "Point the embedding ModelPath at a folder with model.onnx and vocab.txt (or tokenizer.json), " +
        "for example an export made with `optimum-cli export onnx --model <name> <folder>`, " +
        "or leave ModelPath empty to use the bundled all-MiniLM-L6-v2.";

    public static EmbeddingModelSource Read(string path)
    {
        var full = Path.GetFullPath(path);
        var folder = full;
        string? modelFile;
        if (File.Exists(full) && full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            modelFile = full;
            folder = Path.GetDirectoryName(full)!;
            // An export's onnx/ subfolder holds only the graph; the tokenizer lives one level up.
            if (string.Equals(Path.GetFileName(folder), "onnx", StringComparison.OrdinalIgnoreCase)
                && !HasVocabulary(folder))
            {
                folder = Path.GetDirectoryName(folder)!;
            }
        }
        else if (!Directory.Exists(full))
        {
            throw new EmbeddingModelException($"Embedding model folder '{full}' does not exist. {Advice}");
        }
        else
        {
            modelFile = new[] { Path.Combine(full, "model.onnx"), Path.Combine(full, "onnx", "model.onnx") }
                .FirstOrDefault(File.Exists);
            if (modelFile is null)
            {
                throw new EmbeddingModelException(
                    $"Embedding model folder '{full}' has no model.onnx (looked for model.onnx and onnx/model.onnx). {Advice}");
            }
        }

        var tokenizerConfig = ReadJson(folder, "tokenizer_config.json");
        var sentenceConfig = ReadJson(folder, "sentence_bert_config.json");
        var modelConfig = ReadJson(folder, "config.json");
        var (openVocabulary, tokenizerSettings) = ReadTokenizer(folder, tokenizerConfig, sentenceConfig);

        var hardMax = GetInt(modelConfig, "max_position_embeddings") ?? 512;
        var defaultMax = GetInt(sentenceConfig, "max_seq_length")
            ?? GetInt(tokenizerConfig, "model_max_length") // often 1e30 ("no limit"), hence the clamp below
            ?? 512;

        return new EmbeddingModelSource
        {
            ModelId = Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)),
            ModelLocation = modelFile,
            ModelFile = modelFile,
            OpenModel = () => File.OpenRead(modelFile),
            Identity = EmbeddingModelSource.FileIdentity(modelFile),
            OpenVocabulary = openVocabulary,
            Tokenizer = tokenizerSettings,
            Pooling = ReadPooling(folder, out var unsupportedPooling),
            UnsupportedPooling = unsupportedPooling,
            DefaultMaxTokens = Math.Clamp(defaultMax, 3, hardMax),
            HardMaxTokens = hardMax,
        };
    }

    private static bool HasVocabulary(string folder) =>
        File.Exists(Path.Combine(folder, "vocab.txt")) || File.Exists(Path.Combine(folder, "tokenizer.json"));

    private static (Func<Stream> Open, WordPieceSettings Settings) ReadTokenizer(
        string folder, JsonElement? tokenizerConfig, JsonElement? sentenceConfig)
    {
        var settings = new WordPieceSettings
        {
            LowerCase = GetBool(tokenizerConfig, "do_lower_case") ?? GetBool(sentenceConfig, "do_lower_case") ?? true,
            StripAccents = GetBool(tokenizerConfig, "strip_accents"),
            TokenizeChineseChars = GetBool(tokenizerConfig, "tokenize_chinese_chars") ?? true,
            UnknownToken = GetToken(tokenizerConfig, "unk_token") ?? "[UNK]",
            ClassificationToken = GetToken(tokenizerConfig, "cls_token") ?? "[CLS]",
            SeparatorToken = GetToken(tokenizerConfig, "sep_token") ?? "[SEP]",
            PaddingToken = GetToken(tokenizerConfig, "pad_token") ?? "[PAD]",
            MaskingToken = GetToken(tokenizerConfig, "mask_token") ?? "[MASK]",
        };

        var vocabFile = Path.Combine(folder, "vocab.txt");
        if (File.Exists(vocabFile))
        {
            return (() => File.OpenRead(vocabFile), settings);
        }

        var tokenizerFile = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tokenizerFile))
        {
            throw new EmbeddingModelException(
                $"Embedding model folder '{folder}' has no vocab.txt or tokenizer.json, so its tokenizer is unknown. {Advice}");
        }
        var json = ReadJson(folder, "tokenizer.json")!.Value;
        var (vocabulary, fromJson) = TokenizerJsonVocabulary.Read(json, tokenizerFile, settings);
        return (() => new MemoryStream(vocabulary, writable: false), fromJson);
    }

    /// <param name="unsupported">Set when the config names a pooling that is not implemented.</param>
    private static PoolingMode? ReadPooling(string folder, out string? unsupported)
    {
        unsupported = null;
        var poolingFolder = "1_Pooling";
        var modules = ReadJson(folder, "modules.json");
        if (modules is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var module in list.EnumerateArray())
            {
                if (GetString(module, "type") is { } type && type.EndsWith(".Pooling", StringComparison.Ordinal)
                    && GetString(module, "path") is { Length: > 0 } modulePath)
                {
                    poolingFolder = modulePath;
                }
            }
        }

        var config = ReadJson(Path.Combine(folder, poolingFolder), "config.json");
        if (config is null)
        {
            return null;
        }
        if (GetBool(config, "pooling_mode_cls_token") == true)
        {
            return PoolingMode.Cls;
        }
        if (GetBool(config, "pooling_mode_mean_tokens") == true)
        {
            return PoolingMode.Mean;
        }
        unsupported = $"{Path.Combine(folder, poolingFolder, "config.json")} asks for a pooling this library does not " +
            "implement (only CLS and mean are). Set the embedding Pooling option to Mean or Cls to override it.";
        return null;
    }

    internal static JsonElement? ReadJson(string folder, string name)
    {
        var file = Path.Combine(folder, name);
        if (!File.Exists(file))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new EmbeddingModelException($"{file} could not be read as JSON: {e.Message} Fix or remove the file.", e);
        }
    }

    internal static bool? GetBool(JsonElement? element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    internal static int? GetInt(JsonElement? element, string name)
    {
        if (!TryGet(element, name, out var value) || value.ValueKind != JsonValueKind.Number)
        {
            return null;
        }
        // model_max_length is 1e30 in many exports ("unbounded"): saturate instead of failing.
        var number = value.GetDouble();
        return number >= int.MaxValue ? int.MaxValue : (int)number;
    }

    internal static string? GetString(JsonElement? element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Special tokens appear as plain strings or as {"content": "[CLS]", ...} objects.</summary>
    private static string? GetToken(JsonElement? element, string name) =>
        GetString(element, name)
        ?? (TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.Object ? GetString(value, "content") : null);

    private static bool TryGet(JsonElement? element, string name, out JsonElement value)
    {
        value = default;
        return element is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out value);
    }
}

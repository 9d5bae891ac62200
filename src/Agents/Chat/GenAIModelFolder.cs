using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// A validated ONNX Runtime GenAI model folder. The native runtime reports a missing or broken
/// file with a terse message (or, for some files, not at all until the first chat), so the folder
/// is checked here first and every problem names the file and what to do.
/// </summary>
public sealed class GenAIModelFolder
{
    public const string ConfigFileName = "genai_config.json";
    public const string TokenizerFileName = "tokenizer.json";
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    /// <summary>Newer Hugging Face exports keep the chat template in its own file.</summary>
    public const string ChatTemplateFileName = "chat_template.jinja";

    private const string Advice =
        "Use a complete ONNX Runtime GenAI model folder (for example Phi-3.5-mini-instruct-onnx, see README \"Chat models\").";

    private GenAIModelFolder(string path, string decoderPath, int contextLength, string? separateChatTemplate)
    {
        Path = path;
        DecoderPath = decoderPath;
        ContextLength = contextLength;
        SeparateChatTemplate = separateChatTemplate;
    }

    public string Path { get; }

    /// <summary>The ONNX decoder named by genai_config.json.</summary>
    public string DecoderPath { get; }

    /// <summary>model.context_length from genai_config.json.</summary>
    public int ContextLength { get; }

    /// <summary>
    /// The chat template when it comes from chat_template.jinja rather than tokenizer_config.json
    /// (ONNX Runtime GenAI only reads the latter, so this one has to be passed in explicitly).
    /// </summary>
    public string? SeparateChatTemplate { get; }

    /// <summary>Checks the folder and reads what the answerer needs from its configuration.</summary>
    /// <exception cref="ChatModelException">A file is missing or unreadable; the message names it.</exception>
    public static GenAIModelFolder Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(folder))
        {
            throw new ChatModelException($"Chat model folder '{folder}' does not exist. {Advice}");
        }

        var config = ReadJson(folder, ConfigFileName);
        var model = config["model"] as JsonObject
            ?? throw Broken(folder, ConfigFileName, "it has no \"model\" section");
        var decoderFile = model["decoder"]?["filename"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(decoderFile))
        {
            throw Broken(folder, ConfigFileName, "it names no decoder (model.decoder.filename)");
        }

        var decoderPath = System.IO.Path.Combine(folder, decoderFile);
        RequireFile(folder, decoderFile, $"the decoder named by {ConfigFileName}");
        var contextLength = model["context_length"] is JsonValue v && v.TryGetValue<int>(out var n) && n > 0
            ? n
            : throw Broken(folder, ConfigFileName, "it has no positive model.context_length");

        RequireFile(folder, TokenizerFileName, "the tokenizer");
        var tokenizerConfig = ReadJson(folder, TokenizerConfigFileName);
        string? separateTemplate = null;
        if (tokenizerConfig["chat_template"] is null)
        {
            var templatePath = System.IO.Path.Combine(folder, ChatTemplateFileName);
            if (!File.Exists(templatePath))
            {
                throw Broken(folder, TokenizerConfigFileName,
                    $"it has no \"chat_template\" (and there is no {ChatTemplateFileName}); the model cannot format a chat. " +
                    "Use the instruct/chat variant of the model, or add its chat template");
            }

            separateTemplate = File.ReadAllText(templatePath);
        }

        return new GenAIModelFolder(folder, decoderPath, contextLength, separateTemplate);
    }

    private static void RequireFile(string folder, string file, string what)
    {
        var full = System.IO.Path.Combine(folder, file);
        if (!File.Exists(full))
        {
            throw new ChatModelException($"Chat model folder '{folder}' lacks {file} ({what}). {Advice}");
        }
    }

    private static JsonObject ReadJson(string folder, string file)
    {
        RequireFile(folder, file, file == ConfigFileName ? "ONNX Runtime GenAI's model configuration" : "the tokenizer configuration");
        var full = System.IO.Path.Combine(folder, file);
        try
        {
            return JsonNode.Parse(File.ReadAllText(full)) as JsonObject
                ?? throw Broken(folder, file, "it is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ChatModelException($"{full} is not valid JSON ({e.Message}). {Advice}", e);
        }
        catch (IOException e)
        {
            throw new ChatModelException($"{full} cannot be read ({e.Message}).", e);
        }
    }

    private static ChatModelException Broken(string folder, string file, string reason) =>
        new($"{System.IO.Path.Combine(folder, file)} is not usable: {reason}. {Advice}");
}

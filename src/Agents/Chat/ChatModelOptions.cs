namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// Which chat model answers questions: a local ONNX Runtime GenAI model folder
/// (<see cref="ModelPath"/>) or an OpenAI-compatible endpoint (<see cref="Endpoint"/> +
/// <see cref="ModelName"/>). With neither set there is no chat model and answers are extractive.
/// </summary>
public sealed record ChatModelOptions
{
    /// <summary>Folder with genai_config.json, the ONNX decoder, tokenizer.json and tokenizer_config.json.</summary>
    public string? ModelPath { get; init; }

    /// <summary>Execution provider for <see cref="ModelPath"/>: "cpu" or "cuda" (needs the GPU build, see README).</summary>
    public string Provider { get; init; } = ChatProviders.Cpu;

    /// <summary>Base URL of an OpenAI-compatible API, e.g. http://localhost:11434/v1 (Ollama) or https://api.openai.com/v1.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The model the endpoint should run (required with <see cref="Endpoint"/>).</summary>
    public string? ModelName { get; init; }

    /// <summary>API key for the endpoint; local servers usually need none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// The model's context window in tokens. Default: context_length from genai_config.json for a
    /// local model, <see cref="DefaultEndpointContextTokens"/> for an endpoint.
    /// </summary>
    public int? ContextTokens { get; init; }

    /// <summary>Most tokens an answer may have; also reserved out of the context window.</summary>
    public int MaxOutputTokens { get; init; } = 512;

    /// <summary>Sampling temperature; null leaves the model's default (greedy for ONNX Runtime GenAI models).</summary>
    public float? Temperature { get; init; }

    public const int DefaultEndpointContextTokens = 8192;

    public bool IsLocal => !string.IsNullOrWhiteSpace(ModelPath);

    public bool IsEndpoint => !string.IsNullOrWhiteSpace(Endpoint);
}

/// <summary>Execution providers a local model can run on.</summary>
public static class ChatProviders
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    public static IReadOnlyList<string> All { get; } = [Cpu, Cuda];
}

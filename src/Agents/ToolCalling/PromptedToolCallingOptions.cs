namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>How <see cref="ToolCallingChatClient"/> offers tools to a model that cannot call them natively.</summary>
public sealed class PromptedToolCallingOptions
{
    /// <summary>Whether the model's reply is constrained to the tool-call-or-answer JSON schema.</summary>
    public ToolReplyConstraint Constraint { get; set; } = ToolReplyConstraint.Auto;

    /// <summary>
    /// How many times an unusable reply (no JSON, an unknown tool, missing or mistyped arguments) is
    /// sent back to the model with a correction before the raw text is returned as the answer.
    /// </summary>
    public int MaxCorrections { get; set; } = 1;
}

/// <summary>Whether the tool-call-or-answer JSON schema is passed to the model as <c>ChatOptions.ResponseFormat</c>.</summary>
public enum ToolReplyConstraint
{
    /// <summary>
    /// Constrain when the inner client is ONNX Runtime GenAI's chat client, which turns a JSON schema
    /// response format into guided decoding; other clients get the prompt, validation and correction only.
    /// </summary>
    Auto,

    /// <summary>
    /// Always pass the schema (for servers with grammar-guided decoding, e.g. llama.cpp or vLLM).
    /// The schema's root is an <c>anyOf</c>, which OpenAI's strict structured outputs rejects.
    /// </summary>
    JsonSchema,

    /// <summary>Never pass the schema: prompt, validation and correction only.</summary>
    None,
}

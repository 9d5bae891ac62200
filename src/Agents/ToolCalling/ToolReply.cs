namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>What a model's reply amounts to once parsed against the offer.</summary>
internal abstract record ToolReply
{
    private ToolReply()
    {
    }

    /// <summary>A call of an offered function with arguments that fit its schema (values are JsonElements).</summary>
    public sealed record Call(string Name, IDictionary<string, object?> Arguments) : ToolReply;

    public sealed record Answer(string Text) : ToolReply;

    /// <summary>A reply that is neither; <see cref="Problem"/> is told to the model in the correction.</summary>
    public sealed record Unusable(string Problem) : ToolReply;
}

namespace KnowledgeQa.Server.OpenAi;

/// <summary>
/// The model ids the OpenAI-compatible endpoint answers as. Both answer from the knowledge base:
/// <see cref="Default"/> with the configured chat model (extractively when none is configured),
/// <see cref="Extractive"/> always extractively (the best sentences of the passages, no model call).
/// </summary>
public static class KnowledgeBaseModels
{
    public const string Default = "knowledge-base";
    public const string Extractive = "knowledge-base-extractive";

    public const string Owner = "kqa";

    public static IReadOnlyList<string> All { get; } = [Default, Extractive];

    /// <summary>When the server started: the models' "created" time.</summary>
    public static long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static bool IsKnown(string id) => All.Contains(id, StringComparer.Ordinal);
}

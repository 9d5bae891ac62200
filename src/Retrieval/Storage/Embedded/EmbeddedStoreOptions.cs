namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>Where the embedded store keeps its data.</summary>
public sealed class EmbeddedStoreOptions
{
    /// <summary>The SQLite file (created with its folder when missing), for example "data/knowledge.db".</summary>
    public string Path { get; set; } = "knowledge.db";
}

using System.CommandLine;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>Options every command accepts (declared recursive on the root command).</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> Data = new("--data")
    {
        Description = "Folder of the embedded store (default: .kqa in the current directory)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON",
        Recursive = true,
    };

    public static readonly Option<string?> Store = new("--store")
    {
        Description = "Knowledge store: embedded (default) or qdrant",
        Recursive = true,
    };

    public static readonly Option<string?> QdrantUrl = new("--qdrant-url")
    {
        Description = "Qdrant gRPC endpoint, e.g. http://localhost:6334",
        Recursive = true,
    };

    public static readonly Option<string?> QdrantApiKey = new("--qdrant-api-key")
    {
        Description = "Qdrant API key (or KQA__Store__Qdrant__ApiKey)",
        Recursive = true,
    };

    public static readonly Option<string?> Collection = new("--collection")
    {
        Description = "Qdrant collection name (default: knowledge)",
        Recursive = true,
    };

    public static readonly Option<string?> EmbeddingModel = new("--embedding-model")
    {
        Description = "A BERT-family ONNX model folder to embed with (default: bundled all-MiniLM-L6-v2)",
        Recursive = true,
    };

    /// <summary>More detail: every file of an ingest listed, and the library's log lines on stderr.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show more detail (per-file lists, what the library logs)",
        Recursive = true,
    };

    /// <summary>The least severe library log lines shown on stderr (default warning; --verbose means debug).</summary>
    public static readonly Option<string?> LogLevel = new("--log-level")
    {
        Description = "Library log lines shown on stderr: trace, debug, information, warning (default), error, critical or none",
        Recursive = true,
    };

    public static IEnumerable<Option> All =>
        [Data, Json, Store, QdrantUrl, QdrantApiKey, Collection, EmbeddingModel, Verbose, LogLevel];
}

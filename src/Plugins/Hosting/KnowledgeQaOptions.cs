using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage.Qdrant;

namespace KnowledgeQa.Plugins.Hosting;

public enum StoreKind
{
    /// <summary>One SQLite file under <see cref="KnowledgeQaOptions.DataDirectory"/>: zero setup.</summary>
    Embedded,
    /// <summary>A Qdrant server or cluster.</summary>
    Qdrant,
}

public sealed class StoreOptions
{
    public StoreKind Kind { get; set; } = StoreKind.Embedded;

    /// <summary>File name of the embedded store inside the data directory.</summary>
    public string FileName { get; set; } = "knowledge.db";

    /// <summary>Embedded store: how long a write waits, with retries, for a lock another process holds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Embedded store: a size limit for the file in bytes (null: the disk is the limit).</summary>
    public long? MaxSizeBytes { get; set; }

    /// <summary>Embedded store: vectors of deleted chunks kept for reuse (0: none).</summary>
    public int DeletedVectorCacheSize { get; set; } = 20_000;

    public QdrantStoreOptions Qdrant { get; set; } = new();
}

/// <summary>
/// The one options tree of KnowledgeQa, bound from configuration (section "KnowledgeQa" in
/// appsettings.json, environment variables KQA__...) and overridden by command-line flags.
/// </summary>
public sealed class KnowledgeQaOptions
{
    public const string SectionName = "KnowledgeQa";

    /// <summary>Folder of the embedded store and other local state.</summary>
    public string DataDirectory { get; set; } = ".kqa";

    public StoreOptions Store { get; set; } = new();
    public EmbeddingOptions Embedding { get; set; } = new();
    public ChunkingOptions Chunking { get; set; } = new();
    public Bm25Options Lexical { get; set; } = new();
    public ReaderOptions Readers { get; set; } = new();

    /// <summary>The chat model (local ONNX Runtime GenAI folder or OpenAI-compatible endpoint); none set = extractive answers.</summary>
    public ChatModelOptions Chat { get; set; } = new();

    public AnswerOptions Answer { get; set; } = new();

    /// <summary>Throws <see cref="InvalidOptionException"/> naming the first option that cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new InvalidOptionException("DataDirectory (--data) must name a folder.");
        if (Chunking.MaxTokens < 0)
            throw new InvalidOptionException($"Chunking.MaxTokens must be 0 (fit the model) or positive (got {Chunking.MaxTokens}).");
        if (Chunking.OverlapTokens < 0 || (Chunking.MaxTokens > 0 && Chunking.OverlapTokens >= Chunking.MaxTokens))
            throw new InvalidOptionException($"Chunking.OverlapTokens must be between 0 and MaxTokens - 1 (got {Chunking.OverlapTokens}).");
        if (Chunking.MaxCharacters != 0 && Chunking.MaxCharacters < ChunkingOptions.MinCharacters)
            throw new InvalidOptionException($"Chunking.MaxCharacters must be 0 (8 per token) or at least {ChunkingOptions.MinCharacters} (got {Chunking.MaxCharacters}).");
        if (Embedding.BatchSize < 1)
            throw new InvalidOptionException($"Embedding.BatchSize must be at least 1 (got {Embedding.BatchSize}).");
        if (Embedding.BatchTokens < 1)
            throw new InvalidOptionException($"Embedding.BatchTokens must be at least 1 (got {Embedding.BatchTokens}; 4096 is the default).");
        if (Embedding.ModelPath is { } path && !Directory.Exists(path))
            throw new InvalidOptionException($"Embedding.ModelPath '{path}' is not a folder: give a folder with model.onnx and vocab.txt or tokenizer.json.");
        if (Store.Kind == StoreKind.Qdrant && !Uri.TryCreate(Store.Qdrant.Url, UriKind.Absolute, out _))
            throw new InvalidOptionException($"Store.Qdrant.Url '{Store.Qdrant.Url}' is not an absolute URL such as http://localhost:6334.");
    }

    public string EmbeddedStorePath => Path.Combine(DataDirectory, Store.FileName);
}

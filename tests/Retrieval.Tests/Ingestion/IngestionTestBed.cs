using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Tests.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Retrieval.Tests.Ingestion;

/// <summary>
/// Counts what reaches the real embedding model: calls and texts. Optionally holds each call until
/// the test lets it through, so ordering can be observed without timing.
/// </summary>
public sealed class CountingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly SemaphoreSlim _calls = new(0);
    private int _texts;
    private int _callCount;

    public int Texts => Volatile.Read(ref _texts);

    public int Calls => Volatile.Read(ref _callCount);

    /// <summary>When set, every call waits for a <see cref="Release"/> before it runs.</summary>
    public bool Gated { get; set; }

    public SemaphoreSlim Gate { get; } = new(0);

    public void Release(int calls = 1) => Gate.Release(calls);

    /// <summary>Waits until <paramref name="count"/> calls have started.</summary>
    public async Task WaitForCallsAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
            await _calls.WaitAsync(cancellationToken);
    }

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values.ToList();
        Interlocked.Increment(ref _callCount);
        _calls.Release();
        if (Gated)
            await Gate.WaitAsync(cancellationToken);
        Interlocked.Add(ref _texts, list.Count);
        return await base.GenerateAsync(list, options, cancellationToken);
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _texts, 0);
        Interlocked.Exchange(ref _callCount, 0);
    }
}

/// <summary>
/// A real pipeline for tests: the bundled embedding model behind a counting decorator, the real
/// chunker, readers and BM25 encoder, and an embedded store on a real SQLite file.
/// </summary>
public sealed class IngestionTestBed : IAsyncDisposable
{
    private readonly List<EmbeddedKnowledgeStore> _stores = [];

    public IngestionTestBed(OnnxEmbeddingGenerator model, EmbeddedStoreOptions? store = null)
    {
        Folder = new TempFolder();
        Model = model;
        Embedder = new CountingEmbeddingGenerator(model);
        StoreOptions = store ?? new EmbeddedStoreOptions();
        StoreOptions.Path = Folder.File("kb/knowledge.db");
        Store = OpenStore();
        Pipeline = NewPipeline(Store);
    }

    public TempFolder Folder { get; }

    public OnnxEmbeddingGenerator Model { get; }

    public CountingEmbeddingGenerator Embedder { get; }

    public EmbeddedStoreOptions StoreOptions { get; }

    public EmbeddedKnowledgeStore Store { get; }

    public IngestionPipeline Pipeline { get; }

    public ChunkingOptions Chunking { get; } = new();

    /// <summary>Another store instance on the same file: what a second process would have.</summary>
    public EmbeddedKnowledgeStore OpenStore()
    {
        var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions
        {
            Path = StoreOptions.Path,
            BusyTimeout = StoreOptions.BusyTimeout,
            MaxSizeBytes = StoreOptions.MaxSizeBytes,
            DeletedVectorCacheSize = StoreOptions.DeletedVectorCacheSize,
        });
        _stores.Add(store);
        return store;
    }

    public IngestionPipeline NewPipeline(IKnowledgeStore store, IEmbeddingGenerator<string, Embedding<float>>? embedder = null) => new(
        DocumentReaderRegistry.CreateDefault(),
        new TextChunker(Model.TokenCounter, Chunking),
        Chunking,
        embedder ?? Embedder,
        new Bm25SparseEncoder(new Bm25Options()),
        store,
        new EmbeddingModelInfo(Model.ModelId, Model.Dimensions));

    /// <summary>Writes a file under the test folder (creating its folders) and returns its full path.</summary>
    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Folder.Path, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string PathOf(string relativePath) => Path.Combine(Folder.Path, relativePath);

    public async Task<List<StoredDocument>> DocumentsAsync()
    {
        var documents = new List<StoredDocument>();
        await foreach (var document in Store.ListDocumentsAsync(TestContext.Current.CancellationToken))
            documents.Add(document);
        return documents.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<List<string>> IdsAsync() => (await DocumentsAsync()).Select(d => d.Id).ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        Folder.Dispose();
    }
}

/// <summary>Text made of distinct paragraphs, long enough for several chunks.</summary>
public static class SampleText
{
    private static readonly string[] Topics =
    [
        "battery", "charger", "motor", "brake", "frame", "display", "sensor", "chain", "tyre", "light",
        "saddle", "pedal", "gear", "bell", "lock", "rack", "fender", "kickstand", "helmet", "pump",
    ];

    public static string Paragraph(int seed) =>
        $"Section {seed}. The {Topics[seed % Topics.Length]} of model {seed * 7 % 97} needs care every {seed % 12 + 1} months. " +
        $"Check the {Topics[(seed + 3) % Topics.Length]} and the {Topics[(seed + 5) % Topics.Length]} before a long ride of {seed * 13 % 200} kilometres, " +
        $"and write down what you changed on day {seed % 28 + 1}, so the workshop can follow the history of part {seed * 31 % 1000}.";

    public static string Document(int paragraphs, int offset = 0) =>
        string.Join("\n\n", Enumerable.Range(offset, paragraphs).Select(Paragraph));
}

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// The embedding model's runtime as kqa exposes it: loaded only by the commands that embed, cached in the
/// cache folder, its precision and execution provider chosen by flags, with one-line errors.
/// </summary>
public sealed class EmbeddingRuntimeTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Cache => Path.Combine(_folder.Path, "cache");
    private string Data => Path.Combine(_folder.Path, "kb");
    private static string Sample => Path.Combine(KqaProcess.RepositoryRoot, "samples", "docs", "en");

    private Task<KqaProcess.Result> Kqa(params string[] args) =>
        KqaProcess.RunAsync(_folder.Path, new Dictionary<string, string> { ["KQA__Embedding__CacheDirectory"] = Cache }, ["--data", Data, .. args]);

    private IEnumerable<string> CachedFiles() =>
        Directory.Exists(Cache) ? Directory.EnumerateFiles(Cache, "*", SearchOption.AllDirectories) : [];

    [Fact]
    public async Task Docs_and_version_never_load_the_embedding_model()
    {
        var version = await Kqa("--version");
        var docs = await Kqa("docs");

        Assert.Equal(0, version.ExitCode);
        Assert.Equal(0, docs.ExitCode);
        Assert.Empty(CachedFiles());

        var ingest = await Kqa("ingest", Sample);

        Assert.Equal(0, ingest.ExitCode);
        var cached = Assert.Single(CachedFiles());
        Assert.StartsWith("model.int8-", Path.GetFileName(cached)); // the default int8 model, derived once
    }

    [Fact]
    public async Task The_cuda_provider_without_cuda_is_one_clear_error()
    {
        var result = await Kqa("--embedding-provider", "cuda", "search", "battery");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("kqa: error: The CUDA execution provider is not available for embeddings", line);
        Assert.Contains("-p:KqaCudaEmbeddings=true", line);
        Assert.Contains("ExecutionProvider to cpu", line);
    }

    [Fact]
    public async Task Unknown_precision_and_provider_are_option_errors()
    {
        var precision = await Kqa("--embedding-precision", "fp16", "search", "battery");
        var provider = await Kqa("--embedding-provider", "tpu", "search", "battery");

        Assert.Equal(1, precision.ExitCode);
        Assert.StartsWith("kqa: error: --embedding-precision 'fp16' is not a precision", precision.Stderr.Trim());
        Assert.Equal(1, provider.ExitCode);
        Assert.StartsWith("kqa: error: --embedding-provider 'tpu' is not an execution provider", provider.Stderr.Trim());
    }

    [Fact]
    public async Task An_int8_store_is_queried_in_int8_by_default_and_refuses_float32_queries()
    {
        var ingest = await Kqa("--embedding-precision", "int8", "ingest", Sample);
        var fp32 = await Kqa("--embedding-precision", "fp32", "search", "How long does a full charge take?");
        var int8 = await Kqa("search", "How long does a full charge take?", "--json"); // no flag: Auto follows the store

        Assert.Equal(0, ingest.ExitCode);
        Assert.Equal(1, fp32.ExitCode);
        Assert.Contains("embedded with 'all-MiniLM-L6-v2-int8'", fp32.Stderr);
        Assert.Contains("Precision to Int8", fp32.Stderr);
        Assert.Contains("--embedding-precision", fp32.Stderr);
        Assert.Equal(0, int8.ExitCode);
        Assert.Contains("4.5 hours", int8.Stdout);
    }

    [Fact]
    public async Task A_float32_store_keeps_being_answered_in_float32_by_default()
    {
        var ingest = await Kqa("--embedding-precision", "fp32", "ingest", Sample);
        var search = await Kqa("search", "How long does a full charge take?", "--json");
        var more = await Kqa("ingest", Path.Combine(KqaProcess.RepositoryRoot, "samples", "docs", "zh-Hant"));

        Assert.Equal(0, ingest.ExitCode);
        Assert.Equal(0, search.ExitCode);
        Assert.Contains("4.5 hours", search.Stdout);
        Assert.Equal(0, more.ExitCode);
        Assert.DoesNotContain(CachedFiles(), f => Path.GetFileName(f).StartsWith("model.int8-", StringComparison.Ordinal));
    }
}

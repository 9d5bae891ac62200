using KnowledgeQa.Retrieval.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

/// <summary>
/// EmbeddingOptions.ParallelRuns: the runs of one call go to ONNX Runtime side by side, each on one thread. That
/// changes where the work runs, never what a run computes: the runs are the same, so are the vectors.
/// </summary>
public sealed class ParallelRunsTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("kqa-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private EmbeddingOptions Options(int parallelRuns, int threads = 1, EmbeddingPrecision precision = EmbeddingPrecision.Int8) =>
        new() { Precision = precision, IntraOpThreads = threads, ParallelRuns = parallelRuns, CacheDirectory = _cache, BatchSize = 4 };

    /// <summary>Inputs of many lengths, more than several runs of 4 hold.</summary>
    private static readonly string[] Texts = [.. Enumerable.Range(0, 37)
        .Select(i => string.Join(' ', Enumerable.Repeat($"part {i} of the manual about charging the battery, topic {i * 7 % 5}", 1 + i % 6)))];

    [Theory]
    [InlineData(EmbeddingPrecision.Int8)]
    [InlineData(EmbeddingPrecision.Float32)]
    public async Task Runs_side_by_side_give_the_vectors_of_one_run_at_a_time(EmbeddingPrecision precision)
    {
        using var oneAtATime = new OnnxEmbeddingGenerator(Options(1, precision: precision));
        using var sideBySide = new OnnxEmbeddingGenerator(Options(3, precision: precision));
        Assert.Equal(3, sideBySide.ParallelRuns);

        var expected = await oneAtATime.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken);
        var actual = await sideBySide.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Texts.Length, actual.Count);
        for (var i = 0; i < Texts.Length; i++)
        {
            var (x, y) = (expected[i].Vector.ToArray(), actual[i].Vector.ToArray());
            Assert.All(Enumerable.Range(0, x.Length), d => Assert.Equal(x[d], y[d], 1e-6f));
        }
    }

    [Fact]
    public async Task Concurrent_callers_with_runs_side_by_side_each_get_their_own_vectors()
    {
        using var generator = new OnnxEmbeddingGenerator(Options(2));
        // Another order makes other runs, and an int8 run's activation scale is its own: each call is compared
        // with itself made alone.
        var reversed = Texts.Reverse().ToArray();
        var alone = await generator.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken);
        var reversedAlone = await generator.GenerateAsync(reversed, cancellationToken: TestContext.Current.CancellationToken);

        var results = await Task.WhenAll(
            Task.Run(() => generator.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken), TestContext.Current.CancellationToken),
            Task.Run(() => generator.GenerateAsync(reversed, cancellationToken: TestContext.Current.CancellationToken), TestContext.Current.CancellationToken));

        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(alone[i].Vector.ToArray(), results[0][i].Vector.ToArray());
            Assert.Equal(reversedAlone[i].Vector.ToArray(), results[1][i].Vector.ToArray());
        }
    }

    [Fact]
    public async Task A_cancelled_call_with_runs_side_by_side_throws_and_the_generator_goes_on()
    {
        using var generator = new OnnxEmbeddingGenerator(Options(2));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(Texts, cancellationToken: cancelled.Token));
        var after = await generator.GenerateAsync(Texts, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Texts.Length, after.Count);
    }

    [Fact]
    public void By_default_the_runs_go_one_per_core_on_one_thread_each_and_set_threads_keep_one_run_at_a_time()
    {
        using var byDefault = new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = EmbeddingPrecision.Int8, CacheDirectory = _cache });
        Assert.Equal(Environment.ProcessorCount, byDefault.ParallelRuns);
        Assert.Equal(Environment.ProcessorCount > 1 ? 1 : 0, byDefault.SessionThreads);

        using var threads = new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = EmbeddingPrecision.Int8, CacheDirectory = _cache, IntraOpThreads = 2 });
        Assert.Equal(1, threads.ParallelRuns);
        Assert.Equal(2, threads.SessionThreads);
    }

    [Fact]
    public void A_negative_count_is_refused_with_what_to_use()
    {
        var error = Assert.Throws<InvalidOptionException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ParallelRuns = -1, CacheDirectory = _cache }));
        Assert.Contains("ParallelRuns is -1", error.Message);
    }
}

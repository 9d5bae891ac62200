using KnowledgeQa.Retrieval.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

/// <summary>
/// EmbeddingOptions.AllowThreadSpinning only changes how ONNX Runtime's threads wait (spin or sleep), never what
/// they compute: both settings load and give the same vectors.
/// </summary>
public sealed class ThreadSpinningTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("kqa-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public async Task Spinning_on_and_off_embed_alike()
    {
        string[] texts = ["How long does a full charge of the battery take?", "Error E07 means the motor sensor is disconnected."];
        EmbeddingOptions Options(bool spinning) =>
            new() { Precision = EmbeddingPrecision.Int8, IntraOpThreads = 2, CacheDirectory = _cache, AllowThreadSpinning = spinning };
        Assert.False(new EmbeddingOptions().AllowThreadSpinning); // the default: waiting threads sleep

        using var sleeping = new OnnxEmbeddingGenerator(Options(false));
        using var spinning = new OnnxEmbeddingGenerator(Options(true));
        var a = await sleeping.GenerateAsync(texts, cancellationToken: TestContext.Current.CancellationToken);
        var b = await spinning.GenerateAsync(texts, cancellationToken: TestContext.Current.CancellationToken);

        for (var i = 0; i < texts.Length; i++)
        {
            var (x, y) = (a[i].Vector.ToArray(), b[i].Vector.ToArray());
            Assert.Equal(x.Length, y.Length);
            Assert.All(Enumerable.Range(0, x.Length), d => Assert.Equal(x[d], y[d], 1e-5f));
        }
    }
}

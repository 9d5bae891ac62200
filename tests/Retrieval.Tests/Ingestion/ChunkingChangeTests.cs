using KnowledgeQa.Retrieval.Tests.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Ingestion;

/// <summary>
/// A store chunked under other chunking settings is chunked again on the next run, though no file
/// changed: the fingerprints name the chunker's cutting (<see cref="Chunking.ChunkingOptions.Signature"/>).
/// Real files, the real embedding model (its calls counted), a real SQLite store.
/// </summary>
public sealed class ChunkingChangeTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_character_limit_rechunks_an_unchanged_file_and_a_rerun_then_writes_nothing()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        bed.Write("docs/long.md", SampleText.Document(12));
        await bed.Pipeline.IngestAsync([bed.PathOf("docs")], cancellationToken: Ct);
        Assert.Contains(await ChunkLengthsAsync(bed), length => length > 300);

        bed.Chunking.MaxCharacters = 300;
        var pipeline = bed.NewPipeline(bed.Store);
        var rechunked = await pipeline.IngestAsync([bed.PathOf("docs")], cancellationToken: Ct);

        Assert.Equal((1, 0), (rechunked.Replaced, rechunked.Unchanged));
        Assert.All(await ChunkLengthsAsync(bed), length => Assert.InRange(length, 1, 300));
        bed.Embedder.Reset();

        var again = await pipeline.IngestAsync([bed.PathOf("docs")], cancellationToken: Ct);

        Assert.Equal((0, 1), (again.Replaced, again.Unchanged));
        Assert.Equal(0, bed.Embedder.Calls);
    }

    private static async Task<List<int>> ChunkLengthsAsync(IngestionTestBed bed)
    {
        var lengths = new List<int>();
        await foreach (var chunk in bed.Store.ReadChunksAsync("docs/long.md", Ct))
            lengths.Add(chunk.Chunk.Text.Length);
        Assert.NotEmpty(lengths);
        return lengths;
    }
}

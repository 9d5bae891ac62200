using KnowledgeQa.Retrieval.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

/// <summary>
/// The runs an embedding call is cut into: every input once, in order, within the row and cell limits, and
/// never more padding than fixed-size runs of the same sorted inputs compute.
/// </summary>
public sealed class EmbeddingBatchPlannerTests
{
    [Fact]
    public void A_long_input_does_not_pad_the_short_ones_behind_it()
    {
        int[] lengths = [256, .. Enumerable.Repeat(12, 15)];

        var sizes = EmbeddingBatchPlanner.Plan(lengths, maxRows: 16, maxCells: 4096);

        // Fixed runs of 16 would compute 16 x 256 = 4096 cells for 436 real tokens.
        Assert.Equal([1, 15], sizes);
    }

    [Fact]
    public void Inputs_of_one_length_fill_runs_to_the_row_limit()
    {
        var sizes = EmbeddingBatchPlanner.Plan(Enumerable.Repeat(200, 40).ToArray(), maxRows: 16, maxCells: 4096);

        Assert.Equal([16, 16, 8], sizes);
    }

    [Fact]
    public void The_cell_limit_caps_a_run_of_long_inputs_but_not_a_single_one()
    {
        Assert.Equal([8, 8], EmbeddingBatchPlanner.Plan(Enumerable.Repeat(256, 16).ToArray(), maxRows: 64, maxCells: 2048));
        Assert.Equal([1, 1], EmbeddingBatchPlanner.Plan([5000, 4000], maxRows: 16, maxCells: 4096));
    }

    [Theory]
    [InlineData(0, 4096, "BatchSize")]
    [InlineData(16, 0, "BatchTokens")]
    public void A_batch_limit_below_one_is_an_option_error(int batchSize, int batchTokens, string option)
    {
        var error = Assert.Throws<InvalidOptionException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { BatchSize = batchSize, BatchTokens = batchTokens }));

        Assert.Contains(option, error.Message);
    }

    [Fact]
    public void An_empty_call_has_no_runs() =>
        Assert.Empty(EmbeddingBatchPlanner.Plan([], maxRows: 16, maxCells: 4096));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_input_is_planned_once_within_the_limits_and_with_no_more_padding_than_fixed_runs(int seed)
    {
        var random = new Random(seed);
        var lengths = Enumerable.Range(0, 64).Select(_ => random.Next(4) == 0 ? random.Next(3, 30) : random.Next(30, 257))
            .OrderDescending().ToArray();

        var sizes = EmbeddingBatchPlanner.Plan(lengths, maxRows: 16, maxCells: 4096);

        Assert.Equal(lengths.Length, sizes.Sum());
        long planned = 0, start = 0;
        foreach (var size in sizes)
        {
            Assert.InRange(size, 1, 16);
            var cells = (long)size * lengths[start];
            Assert.True(size == 1 || cells <= 4096, $"a run of {size} inputs computes {cells} cells");
            planned += cells;
            start += size;
        }
        var fixedRuns = lengths.Chunk(16).Sum(run => (long)run.Length * run[0]);
        Assert.True(planned <= fixedRuns, $"planned {planned} cells, fixed runs {fixedRuns}");
    }

    [Fact]
    public void Pad_free_runs_hold_inputs_of_one_length_within_the_limits()
    {
        int[] lengths = [256, 256, 256, 200, 200, 120, .. Enumerable.Repeat(30, 20), 12];

        var sizes = EmbeddingBatchPlanner.PadFree(lengths, maxRows: 16, maxCells: 600);

        // 600 cells hold two inputs of 256 or 200, five of 120, sixteen (the row limit) of 30.
        Assert.Equal([2, 1, 2, 1, 16, 4, 1], sizes);
        Assert.Equal([1, 1], EmbeddingBatchPlanner.PadFree([5000, 5000], maxRows: 16, maxCells: 4096));
        Assert.Empty(EmbeddingBatchPlanner.PadFree([], maxRows: 16, maxCells: 4096));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Every_input_is_in_one_pad_free_run_and_no_run_is_padded(int seed)
    {
        var random = new Random(seed);
        var lengths = Enumerable.Range(0, 64).Select(_ => random.Next(3, 40)).OrderDescending().ToArray();

        var sizes = EmbeddingBatchPlanner.Sizes(lengths, maxRows: 16, maxCells: 4096, EmbeddingRunPlan.PadFree);

        Assert.Equal(lengths.Length, sizes.Sum());
        var start = 0;
        foreach (var size in sizes)
        {
            Assert.InRange(size, 1, 16);
            Assert.Single(lengths.AsSpan(start, size).ToArray().Distinct());
            start += size;
        }
        // Runs are as wide as the limits allow: two neighbouring runs of one length only where the first is full.
        for (int r = 1, at = sizes[0]; r < sizes.Count; at += sizes[r], r++)
        {
            Assert.True(lengths[at] != lengths[at - 1] || sizes[r - 1] == 16, $"run {r} could have joined the one before");
        }
    }
}

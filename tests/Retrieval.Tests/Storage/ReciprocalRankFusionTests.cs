using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>Which fused items need their chunk id read to break ties: only those that decide what a search returns.</summary>
public sealed class ReciprocalRankFusionTests
{
    [Fact]
    public void Ties_below_the_cut_are_not_read_ties_at_and_above_it_are()
    {
        // Items 1..6 ranked by one list, 11..16 by the other: each pair of equal rank ties.
        var fused = ReciprocalRankFusion.Fuse(60, [1, 2, 3, 4, 5, 6], [11, 12, 13, 14, 15, 16]);
        Assert.Equal(12, ReciprocalRankFusion.TiedItems(fused, top: 12).Count);

        // The top 3 cuts the second pair in half: both pairs above and at the cut, none below.
        Assert.Equal(new long[] { 1, 2, 11, 12 }, ReciprocalRankFusion.TiedItems(fused, top: 3).Order());
        Assert.Equal(new long[] { 1, 11 }, ReciprocalRankFusion.TiedItems(fused, top: 2).Order());
    }

    [Fact]
    public void An_item_ranked_by_both_lists_ties_with_nothing()
    {
        // 7 is first in both lists; 8 second in one, 9 second in the other: they tie, below 7.
        var fused = ReciprocalRankFusion.Fuse(60, [7, 8], [7, 9]);
        Assert.Equal(7, fused[0].Item);
        Assert.Empty(ReciprocalRankFusion.TiedItems(fused, top: 1));
        Assert.Equal(new long[] { 8, 9 }, ReciprocalRankFusion.TiedItems(fused, top: 2).Order());
        Assert.Empty(ReciprocalRankFusion.TiedItems([], top: 10));
    }
}

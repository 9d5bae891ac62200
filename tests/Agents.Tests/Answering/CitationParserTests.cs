using KnowledgeQa.Agents.Answering;

namespace KnowledgeQa.Agents.Tests.Answering;

public class CitationParserTests
{
    [Theory]
    [InlineData("Paris [1].", new[] { 1 })]
    [InlineData("A [2][3] and B [1].", new[] { 2, 3, 1 })]
    [InlineData("Both [1, 3].", new[] { 1, 3 })]
    [InlineData("Both [1,2; 4].", new[] { 1, 2, 4 })]
    [InlineData("Range [2-4].", new[] { 2, 3, 4 })]
    [InlineData("全角［2］和【3】。", new[] { 2, 3 })]
    [InlineData("顿号 [1、2]，全角数字 [４]。", new[] { 1, 2, 4 })]
    [InlineData("Repeated [1] and [1] again.", new[] { 1 })]
    [InlineData("Out of range [0] [6] [99999999999].", new int[0])]
    [InlineData("Not citations: [a], [1a], array[i], (1).", new int[0])]
    [InlineData("No citations at all.", new int[0])]
    public void Finds_the_cited_passage_numbers_in_order_of_first_use(string text, int[] expected)
    {
        Assert.Equal(expected, CitationParser.Parse(text, passageCount: 5));
    }
}

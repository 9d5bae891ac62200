using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Tests.Text;

public sealed class AnswerKindsTests
{
    [Theory]
    [InlineData("從沒電充到全滿大約需要四個半小時。")]
    [InlineData("A full charge takes about 4.5 hours.")]
    [InlineData("The warranty lasts 30 days.")]
    [InlineData("如果超過一個月不騎車")]
    public void A_stated_length_of_time_is_a_duration(string text) => Assert.True(AnswerKinds.Holds(AnswerKind.Duration, text));

    [Theory]
    [InlineData("每三個月檢查一次電量")]
    [InlineData("每隔兩天清潔一次鏈條")]
    [InlineData("Check the pressure every two weeks.")]
    [InlineData("Service the bike every 30 days.")]
    public void How_often_is_not_how_long(string text) => Assert.False(AnswerKinds.Holds(AnswerKind.Duration, text));

    [Fact]
    public void How_long_questions_ask_for_a_duration()
    {
        Assert.Equal(AnswerKind.Duration, AnswerKinds.Of("電池要充多久"));
        Assert.Equal(AnswerKind.Duration, AnswerKinds.Of("How long does a full charge take?"));
    }
}

using KnowledgeQa.Agents.Classification;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class SentimentClassifierTests(EmbeddingModelFixture model) : IClassFixture<EmbeddingModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("I absolutely loved this hotel, the staff were wonderful and the room was spotless.", "positive")]
    [InlineData("Terrible service, the food was cold and I will never come back.", "negative")]
    [InlineData("这家酒店非常干净，服务热情，强烈推荐！", "positive")]
    [InlineData("送餐太慢了，等了两个小时，饭菜都凉了，难吃。", "negative")]
    [InlineData("房间不太干净，服务也不好。", "negative")]
    [InlineData("价格不贵，没有问题。", "positive")]
    public async Task Clear_examples_get_their_polarity(string text, string expected)
    {
        var classifier = await SentimentClassifier.CreateAsync(model.Generator, cancellationToken: Ct);

        var result = await classifier.ClassifyAsync(text, Ct);

        Assert.Equal(expected, result.Label);
        Assert.Equal(["positive", "negative", "neutral"], result.Scores.Keys);
        Assert.Equal(1.0, result.Scores.Values.Sum(), 6);
    }

    [Fact]
    public async Task Text_without_sentiment_is_neutral()
    {
        var classifier = await SentimentClassifier.CreateAsync(model.Generator, cancellationToken: Ct);

        var results = await classifier.ClassifyBatchAsync(["酒店位于市中心的人民路。", "我们是周二下午到的。"], Ct);

        Assert.All(results, r => Assert.Equal("neutral", r.Label));
    }

    [Fact]
    public async Task Batches_route_each_text_by_its_script_and_keep_input_order()
    {
        var classifier = await SentimentClassifier.CreateAsync(model.Generator, cancellationToken: Ct);

        var results = await classifier.ClassifyBatchAsync(["味道很好，很满意", "This was awful and disappointing.", "服务态度很差"], Ct);

        Assert.Equal(["positive", "negative", "negative"], results.Select(r => r.Label));
        Assert.Equal(["chinese-lexicon", "english-embedding", "chinese-lexicon"], results.Select(r => r.Source));
    }

    [Fact]
    public async Task A_zero_margin_turns_neutral_off()
    {
        var classifier = await SentimentClassifier.CreateAsync(model.Generator, new SentimentOptions { NeutralMargin = 0 }, Ct);

        var result = await classifier.ClassifyAsync("酒店位于市中心的人民路。", Ct);

        Assert.Equal(["positive", "negative"], classifier.Labels);
        Assert.Equal(["positive", "negative"], result.Scores.Keys);
    }

    [Theory]
    [InlineData("很好", 1.3)]       // intensifier
    [InlineData("不好", -1.2)]      // a lexicon word that contains a negator is read whole
    [InlineData("不太干净", -0.9)]  // negator flips the next word
    [InlineData("不贵", 0.3)]       // a negated complaint is only mildly positive
    [InlineData("不，干净", 1)]     // a clause end cuts the negator off
    public void The_lexicon_applies_negators_and_intensifiers(string text, double expected)
        => Assert.Equal(expected, ChineseSentimentLexicon.Default.Score(text).Score, 6);
}

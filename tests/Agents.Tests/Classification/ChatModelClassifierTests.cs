using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Agents.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Classification;

public sealed class ChatModelClassifierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly LabelDefinition[] Labels = [new("positive", "the writer is pleased"), new("negative", "the writer is unhappy")];

    private static readonly MajorityClassClassifier Fallback = new([new("great", "positive"), new("fine", "positive"), new("awful", "negative")]);

    [Fact]
    public async Task A_valid_first_reply_is_taken_without_retry()
    {
        var chat = new ScriptedChatClient("Negative.");
        var classifier = new ChatModelClassifier(chat, Labels, Fallback);

        var result = await classifier.ClassifyAsync("The food was cold.", Ct);

        Assert.Equal("negative", result.Label);
        Assert.Equal("chat", result.Source);
        Assert.Equal(1.0, result.Scores["negative"]);
        Assert.Equal(0.0, result.Scores["positive"]);
        var call = Assert.Single(chat.Calls);
        Assert.Contains("- positive: the writer is pleased", call.Messages[0].Text);
        Assert.Contains("The food was cold.", call.Messages[^1].Text);
        Assert.Equal(0f, call.Options?.Temperature);
    }

    [Fact]
    public async Task An_invalid_reply_is_retried_once_with_a_stricter_instruction()
    {
        var chat = new ScriptedChatClient("I would say the review is mostly happy", "positive");
        var classifier = new ChatModelClassifier(chat, Labels, Fallback);

        var result = await classifier.ClassifyAsync("Lovely staff.", Ct);

        Assert.Equal("positive", result.Label);
        Assert.Equal("chat-retry", result.Source);
        Assert.Equal(2, chat.Calls.Count);
        var retry = chat.Calls[1].Messages;
        Assert.Equal(ChatRole.Assistant, retry[^2].Role);
        Assert.Contains("positive | negative", retry[^1].Text);
        Assert.Contains("not one of the labels", retry[^1].Text);
    }

    [Fact]
    public async Task Two_invalid_replies_fall_back_to_the_embedding_classifier()
    {
        var chat = new ScriptedChatClient("hmm", "both, really");
        var classifier = new ChatModelClassifier(chat, Labels, Fallback);

        var result = await classifier.ClassifyAsync("It was a hotel.", Ct);

        Assert.Equal("fallback", result.Source);
        Assert.Equal("positive", result.Label); // the majority fallback's answer
        Assert.Equal(2, chat.Calls.Count);
    }

    [Fact]
    public async Task Without_a_fallback_two_invalid_replies_raise_an_error_quoting_them()
    {
        var classifier = new ChatModelClassifier(new ScriptedChatClient("hmm", "both, really"), Labels);

        var error = await Assert.ThrowsAsync<ClassificationException>(() => classifier.ClassifyAsync("It was a hotel.", Ct));

        Assert.Contains("\"hmm\"", error.Message);
        Assert.Contains("\"both, really\"", error.Message);
    }

    [Fact]
    public void A_fallback_with_other_labels_is_refused()
    {
        var other = new MajorityClassClassifier([new("x", "spam"), new("y", "ham")]);
        Assert.Throws<ClassificationException>(() => new ChatModelClassifier(new ScriptedChatClient(), Labels, other));
    }

    [Theory]
    [InlineData("positive", "positive")]
    [InlineData("  **Positive**  ", "positive")]
    [InlineData("Label: negative.", "negative")]
    [InlineData("\"Sci/Tech\"", "Sci/Tech")]
    [InlineData("negative\nThe customer complains about the delay.", "negative")]
    [InlineData("「正面」。", "正面")]
    [InlineData("not positive", null)]
    [InlineData("positively", null)]
    [InlineData("positive or negative", null)]
    [InlineData("", null)]
    public void Replies_match_a_label_only_exactly_after_normalisation(string reply, string? expected)
        => Assert.Equal(expected, ClassificationPrompt.MatchLabel(reply, ["positive", "negative", "Sci/Tech", "正面"]));
}

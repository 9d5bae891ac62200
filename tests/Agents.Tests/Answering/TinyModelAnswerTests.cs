using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Agents.Tests.Chat;
using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Retrieval.Chunking;
using Microsoft.Extensions.AI;
using static KnowledgeQa.Agents.Tests.Fakes.FakeRetriever;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>
/// The grounded answerer on the real ONNX Runtime GenAI runtime (tiny fixture model). The model's
/// text is gibberish, so these tests check the plumbing: streaming, limits, the prompt fitting the
/// window as counted by the model's own tokenizer.
/// </summary>
public class TinyModelAnswerTests(TinyChatModelFixture model) : IClassFixture<TinyChatModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Retrieval.Storage.SearchHit[] Hits =
    [
        Hit("router.md", "To reset the router, hold the reset button on the back for ten seconds until the lights blink.", dense: 0.7),
        Hit("warranty.md", "The router warranty lasts two years from the date of purchase.", dense: 0.5),
    ];

    [Fact]
    public async Task The_generated_reply_is_held_back_and_refused_when_it_cites_nothing()
    {
        var observed = new ObservedChatClient(model.Client);
        var answerer = new GroundedAnswerer(new FakeRetriever(Hits), observed, new SimpleLexicalEncoder());

        var updates = new List<AnswerUpdate>();
        await foreach (var update in answerer.AskStreamingAsync("How do I reset the router?", new AskOptions { KeepUncitedText = true }, Ct))
        {
            updates.Add(update);
        }

        // The model streamed one update per token up to the limit (the fixture never stops early), but its
        // text is gibberish without a citation: none of it was shown, and the answer is a refusal.
        Assert.Equal(TinyChatModelFixture.DefaultMaxOutputTokens, observed.Updates);
        Assert.Equal(2, updates.Count);
        Assert.Equal(AnswerTexts.English.Refusal, updates[0].Text);
        var answer = updates[^1].Answer;
        Assert.NotNull(answer);
        Assert.True(answer.Refused);
        Assert.Equal(RefusalReason.UncitedModelAnswer, answer.RefusalReason);
        Assert.Equal(observed.Text.Trim(), answer.UncitedText);
        Assert.Equal(Hits[0], answer.Passages[0]);
    }

    [Fact]
    public async Task A_small_window_still_generates_with_fewer_passages()
    {
        var longHits = Enumerable.Range(0, 4)
            .Select(i => Hit($"doc{i}.md", $"router reset step {i}: " + string.Join(" ", Enumerable.Repeat("hold the button and wait for the lights.", 40)), dense: 0.8 - i * 0.1))
            .ToArray();
        // The instructions alone take about 900 of this tokenizer's tokens: room for one or two passages.
        var options = new AnswerOptions { ContextTokens = 1500 };
        var answerer = new GroundedAnswerer(new FakeRetriever(longHits), model.Client, new SimpleLexicalEncoder(), options);

        var answer = await answerer.AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.InRange(answer.Passages.Count, 1, 3);
        Assert.False(string.IsNullOrWhiteSpace(answer.Text));

        // The same prompt, as the model's chat template and tokenizer see it, leaves room for the answer.
        var counter = model.Client.GetService<ITokenCounter>()!;
        var prompt = new GroundedPromptBuilder(counter).Build(
            "How do I reset the router?", longHits, AnswerTexts.English, contextTokens: 1500, outputTokens: TinyChatModelFixture.DefaultMaxOutputTokens, maxPassageTokens: 512);
        var probe = await model.Client.GetResponseAsync(prompt.Messages, new ChatOptions { MaxOutputTokens = 1 }, Ct);
        Assert.Equal(answer.Passages, prompt.Passages);
        Assert.InRange(probe.Usage!.InputTokenCount!.Value, prompt.Tokens / 2, 1500 - TinyChatModelFixture.DefaultMaxOutputTokens);
    }

    [Fact]
    public async Task Cancelling_the_answer_stream_stops_generation()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        // Cancelled after the model's second token (the reply is held back, so the caller sees no text yet).
        var observed = new ObservedChatClient(model.Client) { OnUpdate = n => { if (n == 2) cts.Cancel(); } };
        var answerer = new GroundedAnswerer(new FakeRetriever(Hits), observed, new SimpleLexicalEncoder());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in answerer.AskStreamingAsync("How do I reset the router?", cancellationToken: cts.Token))
            {
            }
        });

        Assert.True(observed.Updates < TinyChatModelFixture.DefaultMaxOutputTokens);
    }
}

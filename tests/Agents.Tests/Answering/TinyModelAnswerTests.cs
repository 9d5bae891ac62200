using KnowledgeQa.Agents.Answering;
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
    public async Task Streams_a_generated_answer_and_completes_it()
    {
        var answerer = new GroundedAnswerer(new FakeRetriever(Hits), model.Client, new SimpleLexicalEncoder());

        var updates = new List<AnswerUpdate>();
        await foreach (var update in answerer.AskStreamingAsync("How do I reset the router?", cancellationToken: Ct))
        {
            updates.Add(update);
        }

        var answer = updates[^1].Answer;
        Assert.NotNull(answer);
        // One update per generated token up to the configured limit (the fixture never stops early).
        Assert.Equal(TinyChatModelFixture.DefaultMaxOutputTokens, updates.Count - 1);
        Assert.Equal(string.Concat(updates[..^1].Select(u => u.Text)).Trim(), answer.Text);
        Assert.Equal(AnswerMode.Generative, answer.Mode);
        Assert.False(answer.Refused);
        Assert.Equal(Hits, answer.Passages);
    }

    [Fact]
    public async Task A_small_window_still_generates_with_fewer_passages()
    {
        var longHits = Enumerable.Range(0, 4)
            .Select(i => Hit($"doc{i}.md", $"router reset step {i}: " + string.Join(" ", Enumerable.Repeat("hold the button and wait for the lights.", 20)), dense: 0.8 - i * 0.1))
            .ToArray();
        var options = new AnswerOptions { ContextTokens = 600 };
        var answerer = new GroundedAnswerer(new FakeRetriever(longHits), model.Client, new SimpleLexicalEncoder(), options);

        var answer = await answerer.AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.InRange(answer.Passages.Count, 1, 3);
        Assert.False(string.IsNullOrWhiteSpace(answer.Text));

        // The same prompt, as the model's chat template and tokenizer see it, leaves room for the answer.
        var counter = model.Client.GetService<ITokenCounter>()!;
        var prompt = new GroundedPromptBuilder(counter).Build(
            "How do I reset the router?", longHits, AnswerTexts.English, contextTokens: 600, outputTokens: TinyChatModelFixture.DefaultMaxOutputTokens, maxPassageTokens: 512);
        var probe = await model.Client.GetResponseAsync(prompt.Messages, new ChatOptions { MaxOutputTokens = 1 }, Ct);
        Assert.Equal(answer.Passages, prompt.Passages);
        Assert.InRange(probe.Usage!.InputTokenCount!.Value, prompt.Tokens / 2, 600 - TinyChatModelFixture.DefaultMaxOutputTokens);
    }

    [Fact]
    public async Task Cancelling_the_answer_stream_stops_generation()
    {
        var answerer = new GroundedAnswerer(new FakeRetriever(Hits), model.Client, new SimpleLexicalEncoder());
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var updates = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in answerer.AskStreamingAsync("How do I reset the router?", cancellationToken: cts.Token))
            {
                if (++updates == 2)
                {
                    cts.Cancel();
                }
            }
        });

        Assert.True(updates < TinyChatModelFixture.DefaultMaxOutputTokens);
    }
}

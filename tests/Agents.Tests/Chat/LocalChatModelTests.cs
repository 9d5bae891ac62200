using System.Text.Json.Nodes;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Retrieval.Chunking;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Chat;

/// <summary>The local chat path, end to end through the real ONNX Runtime GenAI runtime and the tiny fixture model.</summary>
public class LocalChatModelTests(TinyChatModelFixture model) : IClassFixture<TinyChatModelFixture>
{
    private static readonly ChatMessage[] Prompt =
    [
        new(ChatRole.System, "Answer briefly."),
        new(ChatRole.User, "Where is the reset button?"),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Streams_one_update_per_token_and_stops_at_the_output_limit()
    {
        var textUpdates = 0;
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        await foreach (var update in model.Client.GetStreamingResponseAsync(Prompt, new ChatOptions { MaxOutputTokens = 12 }, Ct))
        {
            if (!string.IsNullOrEmpty(update.Text))
            {
                textUpdates++;
            }

            finish = update.FinishReason ?? finish;
            usage = update.Contents.OfType<UsageContent>().SingleOrDefault()?.Details ?? usage;
        }

        // The fixture never emits its end token, so generation runs exactly to the limit.
        Assert.Equal(12, textUpdates);
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(12, usage?.OutputTokenCount);
        Assert.True(usage?.InputTokenCount > 0);
    }

    [Fact]
    public async Task Configured_output_limit_applies_when_the_call_sets_none()
    {
        var response = await model.Client.GetResponseAsync(Prompt, cancellationToken: Ct);

        Assert.Equal(TinyChatModelFixture.DefaultMaxOutputTokens, response.Usage?.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }

    [Fact]
    public async Task Greedy_decoding_gives_the_same_text_for_the_same_prompt()
    {
        var first = await model.Client.GetResponseAsync(Prompt, new ChatOptions { MaxOutputTokens = 20 }, Ct);
        var second = await model.Client.GetResponseAsync(Prompt, new ChatOptions { MaxOutputTokens = 20 }, Ct);

        Assert.False(string.IsNullOrWhiteSpace(first.Text));
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task Cancelling_mid_stream_stops_generation_with_OperationCanceledException()
    {
        const int limit = 2000;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var updates = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in model.Client.GetStreamingResponseAsync(Prompt, new ChatOptions { MaxOutputTokens = limit }, cts.Token))
            {
                if (++updates == 3)
                {
                    cts.Cancel();
                }
            }
        });

        Assert.InRange(updates, 3, 4);
    }

    [Fact]
    public void Limits_come_from_genai_config_and_tokens_are_counted_by_the_model_tokenizer()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyModel.Path, "genai_config.json")))!;
        var contextLength = config["model"]!["context_length"]!.GetValue<int>();

        var limits = model.Client.GetService<ChatModelLimits>();
        var counter = model.Client.GetService<ITokenCounter>();

        Assert.Equal(new ChatModelLimits(contextLength, TinyChatModelFixture.DefaultMaxOutputTokens), limits);
        Assert.NotNull(counter);
        Assert.Equal(contextLength, counter.MaxTokens);
        // Byte-level BPE: three bytes without a merge are three tokens; " the" merges into one (Ġt + he).
        Assert.Equal(3, counter.CountTokens("xyz"));
        Assert.Equal(1, counter.CountTokens(" the"));
        Assert.Equal(0, counter.CountTokens(""));
    }

    [Fact]
    public void Metadata_names_the_local_runtime_and_model_folder()
    {
        var metadata = model.Client.GetService<ChatClientMetadata>();

        Assert.Equal("onnxruntime-genai", metadata?.ProviderName);
        Assert.Equal("tiny-llama", metadata?.DefaultModelId);
    }

    [Fact]
    public void The_onnx_runtime_native_library_is_found_next_to_the_application()
    {
        Assert.NotNull(OnnxRuntimeNativeLibrary.Locate());
    }
}

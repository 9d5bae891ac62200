using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace KnowledgeQa.Server.Tests.OpenAi;

/// <summary>
/// The OpenAI-compatible endpoint over the tiny local model (real ONNX Runtime GenAI): the client's
/// settings reach the model call, whose GenAI span shows them, and usage is the model's own count.
/// The random-weight model writes nonsense, so these tests look at the protocol, never the text.
/// </summary>
[Collection(ObservedServerCollection.Name)]
public sealed class TinyModelChatTests(TinyModelServer server) : IClassFixture<TinyModelServer>
{
    private const string Question = "How long does a full charge of the battery take?";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Temperature_max_tokens_and_stop_reach_the_model_and_usage_is_the_models_own()
    {
        Activity test;
        System.ClientModel.ClientResult<ChatCompletion> result;
        using (test = ObservedServer.TestSource.StartActivity("chat test")!)
        {
            var options = new ChatCompletionOptions { Temperature = 0.3f, MaxOutputTokenCount = 5 };
            options.StopSequences.Add("###");
            result = await server.ChatClient().CompleteChatAsync([new UserChatMessage(Question)], options, Ct);
        }

        var completion = result.Value;
        var knowledgeBase = JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement.GetProperty("knowledge_base");
        Assert.Equal("generative", knowledgeBase.GetProperty("mode").GetString());
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 5);
        // Five tokens fill the limit; a refused answer (nothing cited) ends normally.
        Assert.Equal(knowledgeBase.GetProperty("refused").GetBoolean() ? ChatFinishReason.Stop : ChatFinishReason.Length, completion.FinishReason);

        var spans = await server.SpansOfAsync(test.TraceId, "POST /v1/chat/completions");
        var chat = Assert.Single(spans, s => s.GetTagItem("gen_ai.operation.name") as string == "chat");
        Assert.Equal(5, chat.GetTagItem("gen_ai.request.max_tokens"));
        Assert.Equal(0.3, Convert.ToDouble(chat.GetTagItem("gen_ai.request.temperature")), 3);
        Assert.Contains("\"###\"", chat.GetTagItem("gen_ai.request.stop_sequences") as string);
        Assert.Equal(completion.Usage.InputTokenCount, Convert.ToInt32(chat.GetTagItem("gen_ai.usage.input_tokens")));
        Assert.Equal(completion.Usage.OutputTokenCount, Convert.ToInt32(chat.GetTagItem("gen_ai.usage.output_tokens")));
        var answer = Assert.Single(spans, s => s.OperationName == "answer");
        Assert.Equal(answer.SpanId, chat.ParentSpanId);
    }

    [Fact]
    public async Task Streaming_through_the_sdk_ends_with_a_finish_reason_and_the_usage()
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in server.ChatClient().CompleteChatStreamingAsync(
            [new UserChatMessage(Question)], new ChatCompletionOptions { MaxOutputTokenCount = 8 }, Ct))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.NotNull(finish);
        Assert.True(text.Length > 0);
        Assert.NotNull(usage);
        Assert.InRange(usage.OutputTokenCount, 1, 8);
    }

    [Fact]
    public async Task The_extractive_model_answers_without_calling_the_chat_model()
    {
        Activity test;
        ChatCompletion completion;
        using (test = ObservedServer.TestSource.StartActivity("extractive test")!)
            completion = (await server.ChatClient("knowledge-base-extractive").CompleteChatAsync([new UserChatMessage(Question)], cancellationToken: Ct)).Value;

        Assert.Contains("4.5 hours with the supplied charger. [1]", completion.Content[0].Text);
        Assert.Equal(0, completion.Usage.TotalTokenCount);
        var spans = await server.SpansOfAsync(test.TraceId, "POST /v1/chat/completions");
        Assert.DoesNotContain(spans, s => s.GetTagItem("gen_ai.operation.name") as string == "chat");
    }

    [Fact]
    public async Task An_ask_with_the_chat_model_records_a_genai_span_and_the_token_metrics()
    {
        var spans = await server.AskTracedAsync(Question);
        var answer = Assert.Single(spans, s => s.OperationName == "answer");
        var chat = Assert.Single(spans, s => s.GetTagItem("gen_ai.operation.name") as string == "chat");
        Assert.Equal(answer.SpanId, chat.ParentSpanId);
        Assert.Equal("Generative", answer.GetTagItem("kqa.mode"));
        Assert.StartsWith("chat", chat.DisplayName);
        Assert.NotNull(chat.GetTagItem("gen_ai.response.finish_reasons"));

        var metrics = server.CollectMetrics();
        var tokens = metrics["gen_ai.client.token.usage"];
        Assert.Contains(tokens.MetricPoints, p => Tag(p, "gen_ai.token.type") == "input" && p.GetHistogramCount() >= 1 && p.GetHistogramSum() > 0);
        Assert.Contains(tokens.MetricPoints, p => Tag(p, "gen_ai.token.type") == "output" && p.GetHistogramCount() >= 1 && p.GetHistogramSum() > 0);
        Assert.Contains(metrics["kqa.answer.duration"].MetricPoints, p => Tag(p, "kqa.answer.mode") == "generative" && p.GetHistogramCount() >= 1);
    }

    internal static string? Tag(OpenTelemetry.Metrics.MetricPoint point, string name)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == name)
                return Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return null;
    }
}

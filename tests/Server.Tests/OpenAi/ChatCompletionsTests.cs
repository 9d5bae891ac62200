using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace KnowledgeQa.Server.Tests.OpenAi;

/// <summary>POST /v1/chat/completions and GET /v1/models with the official OpenAI SDK as the client; no chat model (extractive answers).</summary>
[Collection(ObservedServerCollection.Name)]
public sealed class ChatCompletionsTests(ExtractiveServer server) : IClassFixture<ExtractiveServer>
{
    private const string WarrantyQuestion = "How many years does the warranty cover?";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    [Fact]
    public async Task The_sdk_gets_the_cited_answer_with_its_sources_as_text_and_in_the_knowledge_base_field()
    {
        var result = await server.ChatClient().CompleteChatAsync([new UserChatMessage(WarrantyQuestion)], cancellationToken: Ct);
        var completion = result.Value;

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal("knowledge-base", completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id);
        var text = Assert.Single(completion.Content).Text;
        Assert.Contains("two years", text);
        Assert.Contains("[1]", text);
        Assert.EndsWith("\n\nSources:\n- [1] upload/warranty.md (Warranty)", text);
        Assert.Contains("\n\n(Extractive answer (no chat model configured))\n\n", text);
        // No model ran: no tokens were used.
        Assert.Equal(0, completion.Usage.TotalTokenCount);

        var raw = JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement;
        Assert.Equal("chat.completion", raw.GetProperty("object").GetString());
        var knowledgeBase = raw.GetProperty("knowledge_base");
        Assert.Equal(WarrantyQuestion, knowledgeBase.GetProperty("question").GetString());
        Assert.Equal("extractive", knowledgeBase.GetProperty("mode").GetString());
        Assert.True(knowledgeBase.GetProperty("grounded").GetBoolean());
        var citation = Assert.Single(knowledgeBase.GetProperty("citations").EnumerateArray());
        Assert.Equal("upload/warranty.md", citation.GetProperty("documentId").GetString());
        Assert.Contains("two years", citation.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Streamed_through_the_sdk_the_text_is_the_same_as_the_plain_completion()
    {
        var client = server.ChatClient();
        var plain = (await client.CompleteChatAsync([new UserChatMessage(WarrantyQuestion)], cancellationToken: Ct)).Value.Content.Single().Text;

        var streamed = new StringBuilder();
        var finishReasons = new List<ChatFinishReason>();
        var roles = new List<ChatMessageRole>();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(WarrantyQuestion)], cancellationToken: Ct))
        {
            foreach (var part in update.ContentUpdate)
                streamed.Append(part.Text);
            if (update.FinishReason is { } reason)
                finishReasons.Add(reason);
            if (update.Role is { } role)
                roles.Add(role);
        }

        Assert.Equal(plain, streamed.ToString());
        Assert.Equal([ChatFinishReason.Stop], finishReasons);
        Assert.Equal([ChatMessageRole.Assistant], roles);
    }

    [Fact]
    public async Task The_stream_is_chat_completion_chunk_events_ending_with_done()
    {
        using var client = server.CreateClient();
        using var response = await client.PostAsync("/v1/chat/completions", Json(
            $$"""{"model": "knowledge-base", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "{{WarrantyQuestion}}"}]}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync(Ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);

        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());

        var finish = Assert.Single(chunks, c => c.GetProperty("choices").GetArrayLength() == 1
            && c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        Assert.Equal("stop", finish.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("upload/warranty.md", finish.GetProperty("knowledge_base").GetProperty("citations")[0].GetProperty("documentId").GetString());

        // include_usage: one last chunk with no choices and the usage.
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(0, chunks[^1].GetProperty("usage").GetProperty("total_tokens").GetInt32());
        var text = string.Concat(chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString() : ""));
        Assert.Contains("two years from the date of purchase. [1]", text);
        Assert.EndsWith("- [1] upload/warranty.md (Warranty)", text);
    }

    [Fact]
    public async Task A_follow_up_is_answered_with_the_conversation_as_context()
    {
        var client = server.ChatClient();
        const string first = "Which charger does the battery use?";
        var firstAnswer = (await client.CompleteChatAsync([new UserChatMessage(first)], cancellationToken: Ct)).Value.Content[0].Text;
        Assert.Contains("supplied charger", firstAnswer);

        // The follow-up alone says too little to find its passage.
        const string followUp = "How long does that take?";
        var alone = JsonDocument.Parse((await client.CompleteChatAsync([new UserChatMessage(followUp)], cancellationToken: Ct)).GetRawResponse().Content.ToString()).RootElement;
        Assert.True(alone.GetProperty("knowledge_base").GetProperty("refused").GetBoolean());

        var result = await client.CompleteChatAsync(
        [
            new SystemChatMessage("You are a helpful assistant."),
            new UserChatMessage(first),
            new AssistantChatMessage(firstAnswer),
            new UserChatMessage(followUp),
        ], cancellationToken: Ct);

        var knowledgeBase = JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement.GetProperty("knowledge_base");
        var asked = knowledgeBase.GetProperty("question").GetString()!;
        Assert.EndsWith(followUp, asked);
        Assert.Contains("battery", asked, StringComparison.OrdinalIgnoreCase);
        Assert.False(knowledgeBase.GetProperty("refused").GetBoolean());
        Assert.Equal("upload/battery.md", knowledgeBase.GetProperty("citations")[0].GetProperty("documentId").GetString());
        Assert.Contains("4.5 hours", result.Value.Content[0].Text);
    }

    [Fact]
    public async Task Sampling_settings_and_unknown_fields_are_accepted_and_an_extractive_answer_stays_whole()
    {
        using var client = server.CreateClient();
        var response = await client.PostAsync("/v1/chat/completions", Json($$"""
            {
              "model": "knowledge-base", "messages": [{"role": "user", "content": [{"type": "text", "text": "{{WarrantyQuestion}}"}]}],
              "temperature": 0.2, "top_p": 0.9, "max_tokens": 3, "stop": ["two"], "seed": 7, "presence_penalty": 0.5,
              "frequency_penalty": -0.5, "n": 1, "user": "someone", "logprobs": true, "response_format": {"type": "text"},
              "tools": [{"type": "function", "function": {"name": "f", "parameters": {} } }], "some_future_field": {"a": [1, 2]}
            }
            """), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonOf(response);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        // The stop sequence "two" applies to what a model writes; the extractive answer quotes its passage whole.
        Assert.Contains("two years from the date of purchase. [1]", choice.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task The_models_are_listed_and_each_can_be_fetched()
    {
        var models = server.OpenAIClient().GetOpenAIModelClient();

        var listed = (await models.GetModelsAsync(Ct)).Value;
        Assert.Equal(["knowledge-base", "knowledge-base-extractive"], listed.Select(m => m.Id));
        Assert.All(listed, m => Assert.Equal("kqa", m.OwnedBy));

        Assert.Equal("knowledge-base-extractive", (await models.GetModelAsync("knowledge-base-extractive", Ct)).Value.Id);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelAsync("gpt-4o", Ct));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task The_extractive_model_answers_like_the_default_when_no_chat_model_is_configured()
    {
        var completion = (await server.ChatClient("knowledge-base-extractive").CompleteChatAsync([new UserChatMessage(WarrantyQuestion)], cancellationToken: Ct)).Value;
        Assert.Equal("knowledge-base-extractive", completion.Model);
        Assert.Contains("two years", completion.Content[0].Text);
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}], "temperature": 5}""", 400, "temperature", null)]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}], "temperature": "warm"}""", 400, "temperature", null)]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}""", 400, "max_tokens", null)]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}], "n": 2}""", 400, "n", null)]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}], "stop": [1]}""", 400, "stop", null)]
    [InlineData("""{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}""", 404, "model", "model_not_found")]
    [InlineData("""{"messages": []}""", 400, "messages", null)]
    [InlineData("""{"model": "knowledge-base"}""", 400, "messages", null)]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}""", 400, "messages", null)]
    [InlineData("""{"messages": [{"role": "robot", "content": "hi"}]}""", 400, "messages[0].role", null)]
    [InlineData("""{"messages": [{"role": "user", "content": "   "}]}""", 400, "messages[0].content", null)]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}""", 400, null, null)]
    public async Task Bad_requests_get_openai_shaped_errors_naming_the_field(string body, int status, string? param, string? code)
    {
        using var client = server.CreateClient();
        var response = await client.PostAsync("/v1/chat/completions", Json(body), Ct);

        Assert.Equal(status, (int)response.StatusCode);
        var error = (await JsonOf(response)).GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.TryGetProperty("param", out var p) ? p.GetString() : null);
        Assert.Equal(code, error.TryGetProperty("code", out var c) ? c.GetString() : null);
    }

    [Fact]
    public async Task The_sdk_raises_the_servers_message_for_a_bad_request()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => server.ChatClient().CompleteChatAsync(
            [new UserChatMessage(WarrantyQuestion)], new ChatCompletionOptions { Temperature = 3.5f }, Ct));

        Assert.Equal(400, error.Status);
        Assert.Contains("'temperature' is 3.5; it must be between 0 and 2.", error.Message);
    }

    [Fact]
    public async Task The_api_key_applies_and_its_error_takes_the_openai_shape()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            server.ChatClient(apiKey: "wrong-key").CompleteChatAsync([new UserChatMessage(WarrantyQuestion)], cancellationToken: Ct));
        Assert.Equal(401, error.Status);

        using var client = server.CreateClient(apiKey: null);
        foreach (var response in new[]
        {
            await client.PostAsync("/v1/chat/completions", Json("""{"messages": [{"role": "user", "content": "hi"}]}"""), Ct),
            await client.GetAsync("/v1/models", Ct),
        })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var body = (await JsonOf(response)).GetProperty("error");
            Assert.Equal("invalid_request_error", body.GetProperty("type").GetString());
            Assert.Equal("invalid_api_key", body.GetProperty("code").GetString());
            Assert.Contains("Bearer", body.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_in_the_openai_shape()
    {
        using var client = server.CreateClient();
        var huge = JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = new string('x', 300 * 1024) } } });
        var response = await client.PostAsync("/v1/chat/completions", Json(huge), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("invalid_request_error", (await JsonOf(response)).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_question_over_the_length_limit_is_refused_naming_its_message()
    {
        using var client = server.CreateClient();
        var body = JsonSerializer.Serialize(new { messages = new[] { new { role = "system", content = "Be brief." }, new { role = "user", content = new string('x', 5000) } } });
        var response = await client.PostAsync("/v1/chat/completions", Json(body), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("messages[1].content", (await JsonOf(response)).GetProperty("error").GetProperty("param").GetString());
    }
}

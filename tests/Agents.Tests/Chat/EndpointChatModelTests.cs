using System.Net;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Agents.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Chat;

/// <summary>The OpenAI-compatible path through the real OpenAI client, against a local scripted server.</summary>
public class EndpointChatModelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IChatClient Client(string baseUrl, string? apiKey = null) =>
        ChatClientFactory.Create(new ChatModelOptions { Endpoint = baseUrl, ModelName = "qwen2.5:7b", ApiKey = apiKey, MaxOutputTokens = 77, Temperature = 0.1f })!;

    [Fact]
    public async Task Streams_from_an_openai_compatible_server_with_the_configured_model_and_limits()
    {
        using var server = new FakeOpenAIServer(["Hold ", "the button ", "[1]."]);
        using var client = Client(server.BaseUrl, apiKey: "secret");

        var pieces = new List<string>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "How do I reset it?")], cancellationToken: Ct))
        {
            if (!string.IsNullOrEmpty(update.Text))
            {
                pieces.Add(update.Text);
            }
        }

        Assert.Equal(["Hold ", "the button ", "[1]."], pieces);
        var request = Assert.Single(server.Requests);
        Assert.Equal("qwen2.5:7b", request["model"]!.GetValue<string>());
        Assert.Equal(77, (request["max_completion_tokens"] ?? request["max_tokens"])!.GetValue<int>());
        Assert.Equal(0.1f, request["temperature"]!.GetValue<float>(), 3);
        Assert.Equal("How do I reset it?", request["messages"]![0]!["content"]!.ToString());
    }

    [Fact]
    public async Task A_grounded_answer_can_come_from_an_endpoint()
    {
        using var server = new FakeOpenAIServer(["Hold the reset button ", "for ten seconds [1]."]);
        using var client = Client(server.BaseUrl);
        var hit = FakeRetriever.Hit("router.md", "To reset the router, hold the reset button for ten seconds.", dense: 0.8);
        var answerer = new GroundedAnswerer(new FakeRetriever(hit), client, new SimpleLexicalEncoder());

        var answer = await answerer.AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.Equal("Hold the reset button for ten seconds [1].", answer.Text);
        Assert.Equal("router.md", Assert.Single(answer.Citations).DocumentId);
        Assert.Contains("n=\"1\" source=\"docs/router.md\"", server.Requests.Single()["messages"]![1]!["content"]!.ToString());
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "API key")]
    [InlineData(HttpStatusCode.NotFound, "model name")]
    [InlineData(HttpStatusCode.BadRequest, "HTTP 400")]
    public async Task Endpoint_errors_become_chat_model_errors_that_say_what_to_check(HttpStatusCode status, string advice)
    {
        using var server = new FakeOpenAIServer([], status);
        using var client = Client(server.BaseUrl);

        var error = await Assert.ThrowsAsync<ChatModelException>(
            () => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: Ct));

        Assert.Contains(advice, error.Message);
        Assert.Contains(server.BaseUrl, error.Message);
    }

    [Fact]
    public async Task An_endpoint_nobody_listens_on_is_reported_as_unreachable()
    {
        var url = $"http://127.0.0.1:{FakeOpenAIServer.FreePort()}/v1";
        using var client = Client(url);

        var error = await Assert.ThrowsAsync<ChatModelException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: Ct))
            {
            }
        });

        Assert.Contains("Cannot reach", error.Message);
        Assert.Contains(url, error.Message);
    }
}

using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Agents.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Chat;

/// <summary>The configured client keeps prompt + answer inside the model's context window.</summary>
public sealed class ConfiguredChatClientLimitTests
{
    private static ConfiguredChatClient Configure(ScriptedChatClient inner, int contextTokens, int maxOutputTokens) =>
        new(inner, new ChatClientMetadata("scripted", null, "scripted-model"), new ChatModelLimits(contextTokens, maxOutputTokens),
            new ApproximateTokenCounter(contextTokens), temperature: null);

    [Fact]
    public async Task A_short_prompt_gets_the_configured_output_limit()
    {
        var inner = new ScriptedChatClient("fine");
        using var client = Configure(inner, contextTokens: 4096, maxOutputTokens: 512);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "How long does a full charge take?")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(512, inner.Calls.Single().Options!.MaxOutputTokens);
    }

    [Fact]
    public async Task A_long_prompt_gets_only_the_room_left_in_the_window()
    {
        var inner = new ScriptedChatClient("fine");
        using var client = Configure(inner, contextTokens: 1000, maxOutputTokens: 512);
        var longText = string.Join(' ', Enumerable.Repeat("battery", 300)); // about 600 estimated tokens

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, longText)], cancellationToken: TestContext.Current.CancellationToken);

        var granted = inner.Calls.Single().Options!.MaxOutputTokens!.Value;
        Assert.InRange(granted, ConfiguredChatClient.MinOutputTokens, 1000 - new ApproximateTokenCounter(1000).CountTokens(longText));
        Assert.True(granted < 512);
    }

    [Fact]
    public async Task A_prompt_that_fills_the_window_is_refused_with_a_clear_message()
    {
        var inner = new ScriptedChatClient("never");
        using var client = Configure(inner, contextTokens: 200, maxOutputTokens: 64);
        var tooLong = string.Join(' ', Enumerable.Repeat("battery", 200));

        var error = await Assert.ThrowsAsync<ChatModelException>(() =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, tooLong)], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("context window is 200", error.Message);
        Assert.Empty(inner.Calls);
    }
}

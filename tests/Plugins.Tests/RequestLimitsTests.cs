using KnowledgeQa.Plugins.Classification;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Requests;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.Tests;

/// <summary>The plugin functions (what models and MCP clients call) keep the same limits as the HTTP API.</summary>
public class RequestLimitsTests(KnowledgeBaseFixture kb)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, Dictionary<string, object?>, string> OverTheLimits => new()
    {
        { KnowledgeBasePlugin.PluginName, "search", new() { ["query"] = "charge", ["top"] = 51 }, "top" },
        { KnowledgeBasePlugin.PluginName, "search", new() { ["query"] = "charge", ["top"] = 0 }, "top" },
        { KnowledgeBasePlugin.PluginName, "search", new() { ["query"] = new string('q', RequestLimits.MaxTextLength + 1) }, "query" },
        { KnowledgeBasePlugin.PluginName, "ask", new() { ["question"] = new string('q', RequestLimits.MaxTextLength + 1) }, "question" },
        { ClassificationPlugin.PluginName, "classify", new() { ["text"] = "late parcel", ["labels"] = string.Join(',', Enumerable.Range(0, 101).Select(i => $"l{i}")) }, "labels" },
        { ClassificationPlugin.PluginName, "sentiment", new() { ["text"] = new string('q', RequestLimits.MaxTextLength + 1) }, "text" },
    };

    [Theory]
    [MemberData(nameof(OverTheLimits))]
    public async Task A_call_over_a_limit_is_a_typed_error_naming_the_argument(string plugin, string function, Dictionary<string, object?> arguments, string argument)
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => kb.Kernel.InvokeAsync(plugin, function, new KernelArguments(arguments), Ct));

        Assert.Equal(argument, error.Argument);
        Assert.Contains($"'{argument}'", error.Message);
    }

    [Fact]
    public void A_tag_filter_is_trimmed_and_deduplicated_and_a_blank_tag_is_named_by_position()
    {
        Assert.Equal(["a", "b"], RequestLimits.Tags(["a", " b ", "a"]));
        Assert.Empty(RequestLimits.Tags(null));
        Assert.Equal("tags[1]", Assert.Throws<InvalidRequestException>(() => RequestLimits.Tags(["a", null])).Argument);
        Assert.Contains("the limit is 100", Assert.Throws<InvalidRequestException>(() => RequestLimits.Tags([.. Enumerable.Range(0, 101).Select(i => $"t{i}")])).Message);
    }
}

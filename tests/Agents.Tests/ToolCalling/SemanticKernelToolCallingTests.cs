using System.ComponentModel;
using KnowledgeQa.Agents.ToolCalling;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Agents.Tests.ToolCalling;

/// <summary>
/// The decorator under Semantic Kernel's function invocation, as the knowledge agent uses it:
/// the chat client registered with UseKernelFunctionInvocation and FunctionChoiceBehavior.Auto().
/// </summary>
public class SemanticKernelToolCallingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_scripted_model_calls_a_kernel_plugin_function_and_answers_from_its_result()
    {
        var model = new ScriptedToolModel(
            """{"tool":"weather_get_forecast","arguments":{"city":"Paris","days":2}}""",
            """{"answer":"Sunny in Paris."}""");
        var plugin = new WeatherPlugin();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddChatClient(new ChatClientBuilder(model).UsePromptedToolCalling().Build()).UseKernelFunctionInvocation();
        builder.Plugins.AddFromObject(plugin, "weather");
        var kernel = builder.Build();

        var result = await kernel.InvokePromptAsync(
            "What is the weather in Paris for two days?",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }),
            cancellationToken: Ct);

        Assert.Equal([("Paris", 2)], plugin.Requests);
        Assert.Equal("Sunny in Paris.", result.ToString());
        Assert.Equal(2, model.Calls.Count);
        Assert.Contains("- weather_get_forecast: Gets the weather forecast for a city.", model.Calls[0].Messages[0].Text);
        Assert.Equal("Tool result (weather_get_forecast): Sunny in Paris for 2 days", model.Calls[1].Messages[^1].Text);
    }

    public sealed class WeatherPlugin
    {
        public List<(string City, int Days)> Requests { get; } = [];

        [KernelFunction("get_forecast")]
        [Description("Gets the weather forecast for a city.")]
        public string GetForecast([Description("The city to forecast.")] string city, [Description("How many days ahead.")] int days)
        {
            Requests.Add((city, days));
            return $"Sunny in {city} for {days} days";
        }
    }
}

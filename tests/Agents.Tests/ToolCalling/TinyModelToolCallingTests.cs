using System.ComponentModel;
using System.Text.Json;
using KnowledgeQa.Agents.Tests.Chat;
using KnowledgeQa.Agents.ToolCalling;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;

namespace KnowledgeQa.Agents.Tests.ToolCalling;

/// <summary>
/// Tool calling over the real ONNX Runtime GenAI runtime with the tiny random-weight model. The
/// model knows nothing, so these tests assert validity, not content: only guided decoding can make
/// its reply a well-formed call of an offered function.
/// </summary>
public class TinyModelToolCallingTests(TinyChatModelFixture model) : IClassFixture<TinyChatModelFixture>
{
    private static readonly ChatMessage[] Prompt =
    [
        new(ChatRole.System, "You control the lamp."),
        new(ChatRole.User, "Turn the lamp on, red please."),
    ];

    // Enough for the longest call ({"tool":"set_lamp","arguments":{"color":"green","on":false}}) in byte-level tokens.
    private const int OutputTokens = 80;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Guided_decoding_makes_the_first_reply_a_valid_call_of_an_offered_function()
    {
        var recorder = new RecordingChatClient(model.Client);
        var lamp = new LampFunction();
        var client = new ToolCallingChatClient(recorder);

        var response = await client.GetResponseAsync(Prompt, Options(lamp, new ClockFunction()), Ct);

        Assert.True(client.ConstrainsReplies);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(response.Messages.Single().Contents));
        Assert.Contains(call.Name, (string[])["set_lamp", "get_time"]);
        if (call.Name == "set_lamp")
        {
            LampFunction.AssertValid(call.Arguments!);
        }

        // Valid on the first try: no correction was needed.
        var (_, options, reply) = Assert.Single(recorder.Calls);
        Assert.IsType<ChatResponseFormatJson>(options?.ResponseFormat);
        Assert.StartsWith("""{"tool":""", reply);
    }

    [Fact]
    public async Task Without_guidance_the_same_model_produces_no_usable_call()
    {
        var recorder = new RecordingChatClient(model.Client);
        var client = new ToolCallingChatClient(recorder, new PromptedToolCallingOptions { Constraint = ToolReplyConstraint.None, MaxCorrections = 0 });

        var response = await client.GetResponseAsync(Prompt, Options(new LampFunction(), new ClockFunction()), Ct);

        // The control for the test above: the validity there comes from guidance, not from the model.
        Assert.False(client.ConstrainsReplies);
        Assert.Null(Assert.Single(recorder.Calls).Options?.ResponseFormat);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(recorder.Calls[0].Reply, response.Text);
    }

    [Fact]
    public async Task Under_function_invocation_the_guided_call_runs_the_function_and_its_result_reaches_the_model()
    {
        var recorder = new RecordingChatClient(model.Client);
        var lamp = new LampFunction();
        var agent = new ChatClientBuilder(recorder)
            .UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 2)
            .UsePromptedToolCalling()
            .Build();

        await agent.GetResponseAsync(Prompt, Options(lamp), Ct);

        // The model may call again on the next turn (it is random); every call must be valid.
        Assert.NotEmpty(lamp.Invocations);
        Assert.All(lamp.Invocations, LampFunction.AssertValid);
        var arguments = lamp.Invocations[0];
        Assert.True(recorder.Calls.Count >= 2);
        var result = recorder.Calls[1].Messages[^1];
        Assert.Equal(ChatRole.User, result.Role);
        Assert.Equal($"Tool result (set_lamp): lamp is {arguments["color"]}", result.Text);
    }

    [Fact]
    public async Task A_semantic_kernel_plugin_is_called_by_the_tiny_model_through_kernel_function_invocation()
    {
        var recorder = new RecordingChatClient(model.Client);
        var plugin = new SwitchPlugin();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddChatClient(new ChatClientBuilder(recorder).UsePromptedToolCalling().Build()).UseKernelFunctionInvocation();
        builder.Plugins.AddFromObject(plugin, "lamp");
        // Required() keeps requiring a call on every turn; one call is all this test needs.
        builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(new StopAfterFirstCall());
        var kernel = builder.Build();

        await kernel.InvokePromptAsync(
            "Turn the lamp on.",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required(), ExtensionData = new Dictionary<string, object> { ["max_tokens"] = OutputTokens } }),
            cancellationToken: Ct);

        Assert.Single(plugin.Switches);
        Assert.Single(recorder.Calls);
        Assert.IsType<ChatResponseFormatJson>(recorder.Calls[0].Options?.ResponseFormat);
        Assert.Contains("- lamp_switch: Switches the lamp on or off.", recorder.Calls[0].Messages[0].Text);
    }

    private sealed class StopAfterFirstCall : IAutoFunctionInvocationFilter
    {
        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            await next(context);
            context.Terminate = true;
        }
    }

    public sealed class SwitchPlugin
    {
        public List<bool> Switches { get; } = [];

        [KernelFunction("switch")]
        [Description("Switches the lamp on or off.")]
        public string Switch([Description("True for on.")] bool on)
        {
            Switches.Add(on);
            return on ? "on" : "off";
        }
    }

    /// <summary>Tools whose arguments are closed sets, so a valid call fits in the output limit.</summary>
    private static ChatOptions Options(params AIFunction[] tools) =>
        new() { Tools = [.. tools], ToolMode = ChatToolMode.RequireAny, MaxOutputTokens = OutputTokens };

    private sealed class LampFunction : AIFunction
    {
        private static readonly JsonElement Schema = JsonElement.Parse(
            """{"type":"object","properties":{"color":{"type":"string","enum":["red","green","blue"]},"on":{"type":"boolean"}},"required":["color","on"]}""");

        public List<IReadOnlyDictionary<string, object?>> Invocations { get; } = [];

        public override string Name => "set_lamp";

        public override string Description => "Switches the lamp and sets its color.";

        public override JsonElement JsonSchema => Schema;

        public static void AssertValid(IEnumerable<KeyValuePair<string, object?>> arguments)
        {
            var values = arguments.ToDictionary(a => a.Key, a => (JsonElement)a.Value!);
            Assert.Equal(["color", "on"], values.Keys.Order());
            Assert.Contains(values["color"].GetString(), (string[])["red", "green", "blue"]);
            Assert.True(values["on"].ValueKind is JsonValueKind.True or JsonValueKind.False);
        }

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            Invocations.Add(new Dictionary<string, object?>(arguments));
            return ValueTask.FromResult<object?>($"lamp is {((JsonElement)arguments["color"]!).GetString()}");
        }
    }

    private sealed class ClockFunction : AIFunction
    {
        public override string Name => "get_time";

        public override string Description => "Tells the time.";

        public override JsonElement JsonSchema { get; } = JsonElement.Parse("""{"type":"object","properties":{}}""");

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            ValueTask.FromResult<object?>("12:00");
    }

    /// <summary>Records what reaches the real model and what it replied; leaves the shared fixture client undisposed.</summary>
    private sealed class RecordingChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public List<(List<ChatMessage> Messages, ChatOptions? Options, string Reply)> Calls { get; } = [];

        public override async Task<ChatResponse> GetResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            Calls.Add((messages.ToList(), options, response.Text));
            return response;
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}

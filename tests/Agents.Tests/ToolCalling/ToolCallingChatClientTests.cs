using System.ComponentModel;
using System.Text.Json;
using KnowledgeQa.Agents.ToolCalling;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.ToolCalling;

/// <summary>The decorator's orchestration under Microsoft.Extensions.AI's function invocation, with a scripted model.</summary>
public class ToolCallingChatClientTests
{
    private const string ForecastCall = """{"tool":"get_forecast","arguments":{"city":"Paris","days":3}}""";

    private static readonly ChatMessage[] Question =
    [
        new(ChatRole.System, "You are a weather assistant."),
        new(ChatRole.User, "What is the weather in Paris for the next three days?"),
    ];

    private readonly WeatherTools _tools = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tool_call_reply_runs_that_function_with_the_parsed_arguments_and_its_result_goes_back_to_the_model()
    {
        var model = new ScriptedToolModel(ForecastCall, """{"answer":"Sunny all three days."}""");

        var response = await Agent(model).GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.Equal([("Paris", 3)], _tools.Forecasts);
        Assert.Equal(0, _tools.TimeCalls);
        Assert.Equal("Sunny all three days.", response.Text);
        Assert.Equal(2, model.Calls.Count);

        var followUp = model.Calls[1].Messages;
        var call = followUp[^2];
        Assert.Equal(ChatRole.Assistant, call.Role);
        Assert.Equal(ForecastCall, call.Text);
        var result = followUp[^1];
        Assert.Equal(ChatRole.User, result.Role);
        Assert.Equal("Tool result (get_forecast): Sunny in Paris for 3 days", result.Text);
        // Nothing but text reaches the model: the GenAI client would drop any other content.
        Assert.All(followUp, m => Assert.All(m.Contents, c => Assert.IsType<TextContent>(c)));
    }

    [Fact]
    public async Task The_model_is_told_the_functions_their_descriptions_and_parameter_schemas_in_one_system_message()
    {
        var model = new ScriptedToolModel("""{"answer":"Sunny."}""");
        var options = _tools.Options();
        options.Instructions = "Be brief.";

        await Agent(model).GetResponseAsync(Question, options, Ct);

        var sent = model.Calls[0].Messages;
        Assert.Equal([ChatRole.System, ChatRole.User], sent.Select(m => m.Role));
        var system = sent[0].Text;
        // Instructions too: the GenAI client ignores ChatOptions.Instructions.
        Assert.StartsWith("Be brief.\n\nYou are a weather assistant.\n\nYou can call tools.", system);
        Assert.Null(model.Calls[0].Options?.Instructions);
        Assert.Contains("- get_forecast: Gets the weather forecast for a city.", system);
        Assert.Contains("\"city\":{\"description\":\"The city to forecast.\",\"type\":\"string\"}", system);
        Assert.Contains("\"required\":[\"city\",\"days\"]", system);
        Assert.Contains("- get_time: Gets the current time.", system);
        Assert.Contains("""{"answer":"<your answer>"}""", system);
        // The inner client gets no tools: it would ignore them, and a native caller must not call twice.
        Assert.Null(model.Calls[0].Options?.Tools);
    }

    [Fact]
    public async Task An_answer_reply_ends_the_loop_without_calling_any_function()
    {
        var model = new ScriptedToolModel("""{"answer":"I can only tell the weather."}""");

        var response = await Agent(model).GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.Equal("I can only tell the weather.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Single(model.Calls);
        Assert.Empty(_tools.Forecasts);
        Assert.Equal(0, _tools.TimeCalls);
    }

    [Theory]
    [InlineData("```json\n" + ForecastCall + "\n```")]
    [InlineData("Sure, let me check. " + ForecastCall + " One moment.")]
    [InlineData(ForecastCall + "}")]
    [InlineData("""{"name":"get_forecast","arguments":"{\"city\":\"Paris\",\"days\":3}"}""")]
    [InlineData("""{"function":{"name":"get_forecast","arguments":{"city":"Paris","days":3}}}""")]
    [InlineData("""{"tool":"get_forecast","city":"Paris","days":3}""")]
    [InlineData("""Using {braces} in prose: {"tool": "get_forecast", "arguments": {"city": "Paris", "days": 3,},}""")]
    public async Task Fences_surrounding_text_and_common_spellings_of_a_call_are_tolerated(string reply)
    {
        var model = new ScriptedToolModel(reply, """{"answer":"Sunny."}""");

        var response = await Agent(model).GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.Equal([("Paris", 3)], _tools.Forecasts);
        Assert.Equal(2, model.Calls.Count);
        Assert.Equal("Sunny.", response.Text);
    }

    [Theory]
    [InlineData("""{"tool":"get_weather","arguments":{"city":"Paris"}}""", "There is no tool named \"get_weather\"; the tools are \"get_forecast\", \"get_time\".")]
    [InlineData("""{"tool":"get_forecast","arguments":{"city":"Paris"}}""", "The tool \"get_forecast\" needs the argument \"days\".")]
    [InlineData("""{"tool":"get_forecast","arguments":{"city":"Paris","days":"three"}}""", "The argument \"days\" of \"get_forecast\" must be an integer.")]
    [InlineData("""{"tool":"get_forecast","arguments":["Paris",3]}""", "The \"arguments\" of \"get_forecast\" must be a JSON object.")]
    [InlineData("The weather is nice.", "It holds no JSON object.")]
    [InlineData("""{"result":"sunny"}""", "The JSON object has neither a \"tool\" nor an \"answer\" property.")]
    public async Task An_unusable_reply_is_sent_back_once_with_a_correction_that_names_the_problem(string reply, string problem)
    {
        var model = new ScriptedToolModel(reply, ForecastCall, """{"answer":"Sunny."}""");

        var response = await Agent(model).GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.Equal([("Paris", 3)], _tools.Forecasts);
        Assert.Equal("Sunny.", response.Text);
        Assert.Equal(3, model.Calls.Count);
        var corrected = model.Calls[1].Messages;
        Assert.Equal(reply, corrected[^2].Text);
        Assert.Equal(ChatRole.Assistant, corrected[^2].Role);
        Assert.Equal(ChatRole.User, corrected[^1].Role);
        Assert.StartsWith("Your last reply could not be used: " + problem, corrected[^1].Text);
        Assert.Contains("<one of: get_forecast, get_time>", corrected[^1].Text);
        // The correction is not kept: the follow-up after the call sees a clean transcript.
        Assert.DoesNotContain(model.Calls[2].Messages, m => m.Text.Contains("could not be used", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"tool":"set_lamp","arguments":{"color":"blue"}}""", "The argument \"color\" of \"set_lamp\" must be one of \"red\", \"green\".")]
    [InlineData("""{"tool":"set_lamp","arguments":{"color":"red","dim":true}}""", "The tool \"set_lamp\" has no argument \"dim\".")]
    [InlineData("""{"tool":"set_lamp","arguments":{"color":"red","level":2.5}}""", "The argument \"level\" of \"set_lamp\" must be an integer or null.")]
    public async Task A_declared_schema_with_an_enum_and_closed_properties_is_enforced(string reply, string problem)
    {
        var lamp = AIFunctionFactory.CreateDeclaration("set_lamp", "Sets the lamp.", JsonElement.Parse(
            """{"type":"object","properties":{"color":{"type":"string","enum":["red","green"]},"level":{"type":["integer","null"]}},"required":["color"],"additionalProperties":false}"""));
        var model = new ScriptedToolModel(reply, """{"tool":"set_lamp","arguments":{"color":"green","level":2.0}}""");
        var client = new ChatClientBuilder(model).UsePromptedToolCalling().Build();

        var response = await client.GetResponseAsync(Question, new ChatOptions { Tools = [lamp] }, Ct);

        Assert.StartsWith("Your last reply could not be used: " + problem, model.Calls[1].Messages[^1].Text);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(response.Messages.Single().Contents));
        Assert.Equal("green", ((JsonElement)call.Arguments!["color"]!).GetString());
    }

    [Fact]
    public async Task After_the_corrections_run_out_the_raw_text_is_the_answer()
    {
        var model = new ScriptedToolModel("It is sunny.", "Still sunny, I promise.");

        var response = await Agent(model).GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.Equal("Still sunny, I promise.", response.Text);
        Assert.Equal(2, model.Calls.Count);
        Assert.Empty(_tools.Forecasts);
        Assert.Equal(30, response.Usage?.TotalTokenCount);
    }

    [Fact]
    public async Task With_no_corrections_allowed_the_first_unusable_reply_is_the_answer()
    {
        var model = new ScriptedToolModel("""{"tool":"nope"}""");

        var response = await Agent(model, o => o.MaxCorrections = 0).GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.Equal("""{"tool":"nope"}""", response.Text);
        Assert.Single(model.Calls);
    }

    [Fact]
    public async Task Without_tools_messages_and_options_pass_through_untouched()
    {
        var model = new ScriptedToolModel("Plain reply.", "Streamed reply.");
        var client = Agent(model);
        var options = new ChatOptions { Temperature = 0.2f };

        var response = await client.GetResponseAsync(Question, options, Ct);
        var updates = await client.GetStreamingResponseAsync(Question, options, Ct).ToListAsync(Ct);

        Assert.Equal("Plain reply.", response.Text);
        Assert.All(model.Calls, call => Assert.Same(options, call.Options));
        Assert.All(model.Calls, call => Assert.Equal(Question, call.Messages));
        // Streamed piece by piece, not buffered into one update.
        Assert.Equal(["Strea", "med r", "eply."], updates.Select(u => u.Text));
    }

    [Fact]
    public async Task Without_tools_earlier_calls_and_results_in_the_history_still_reach_the_model_as_text()
    {
        var model = new ScriptedToolModel("It is sunny.");
        var history = new List<ChatMessage>(Question)
        {
            new(ChatRole.Assistant, [new FunctionCallContent("c1", "get_forecast", new Dictionary<string, object?> { ["city"] = "Paris", ["days"] = 3 })]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", JsonSerializer.SerializeToElement(new { sky = "clear" }))]),
        };

        await Agent(model).GetResponseAsync(history, new ChatOptions { Tools = [_tools.Forecast], ToolMode = ChatToolMode.None }, Ct);

        var sent = model.Calls[0].Messages;
        Assert.Equal(4, sent.Count);
        Assert.Equal(ForecastCall, sent[2].Text);
        Assert.Equal("""Tool result (get_forecast): {"sky":"clear"}""", sent[3].Text);
        Assert.DoesNotContain("You can call tools", sent[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_with_tools_buffers_the_reply_and_runs_the_function()
    {
        var model = new ScriptedToolModel(ForecastCall, """{"answer":"Sunny."}""");

        var updates = await Agent(model).GetStreamingResponseAsync(Question, _tools.Options(), Ct).ToListAsync(Ct);

        Assert.Equal([("Paris", 3)], _tools.Forecasts);
        Assert.Equal("Sunny.", string.Concat(updates.Select(u => u.Text)));
    }

    [Fact]
    public async Task Streaming_without_a_function_invocation_layer_yields_the_call_itself()
    {
        var model = new ScriptedToolModel(ForecastCall);
        var client = new ChatClientBuilder(model).UsePromptedToolCalling().Build();

        var updates = await client.GetStreamingResponseAsync(Question, _tools.Options(), Ct).ToListAsync(Ct);

        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_forecast", call.Name);
        Assert.StartsWith("call_", call.CallId);
        Assert.Equal("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.Equal(3, ((JsonElement)call.Arguments["days"]!).GetInt32());
        Assert.Equal(ChatFinishReason.ToolCalls, updates.Last(u => u.FinishReason is not null).FinishReason);
        Assert.Empty(_tools.Forecasts);
    }

    [Fact]
    public async Task Requiring_a_tool_rejects_an_answer_and_drops_the_answer_form_from_the_instruction()
    {
        var model = new ScriptedToolModel("""{"answer":"Sunny."}""", """{"tool":"get_time","arguments":{}}""");
        var client = new ChatClientBuilder(model).UsePromptedToolCalling().Build();

        var response = await client.GetResponseAsync(Question, _tools.Options(ChatToolMode.RequireAny), Ct);

        Assert.Equal("get_time", Assert.IsType<FunctionCallContent>(Assert.Single(response.Messages.Single().Contents)).Name);
        Assert.Contains("You must call a tool now.", model.Calls[0].Messages[0].Text);
        Assert.DoesNotContain("\"answer\"", model.Calls[0].Messages[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("Your last reply could not be used: A tool must be called now", model.Calls[1].Messages[^1].Text);
    }

    [Fact]
    public async Task Requiring_a_specific_function_offers_only_that_one()
    {
        var model = new ScriptedToolModel(ForecastCall, """{"tool":"get_time","arguments":{}}""");
        var client = new ChatClientBuilder(model).UsePromptedToolCalling().Build();

        var response = await client.GetResponseAsync(Question, _tools.Options(ChatToolMode.RequireSpecific("get_time")), Ct);

        Assert.Equal("get_time", Assert.IsType<FunctionCallContent>(Assert.Single(response.Messages.Single().Contents)).Name);
        Assert.DoesNotContain("get_forecast", model.Calls[0].Messages[0].Text, StringComparison.Ordinal);
        Assert.Equal(2, model.Calls.Count);
    }

    [Fact]
    public async Task Constraining_passes_a_json_schema_of_exactly_the_offered_choices()
    {
        var model = new ScriptedToolModel("""{"answer":"Sunny."}""");
        var client = new ToolCallingChatClient(model, new PromptedToolCallingOptions { Constraint = ToolReplyConstraint.JsonSchema });

        await client.GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.True(client.ConstrainsReplies);
        var format = Assert.IsType<ChatResponseFormatJson>(model.Calls[0].Options?.ResponseFormat);
        var choices = format.Schema!.Value.GetProperty("anyOf").EnumerateArray().ToList();
        Assert.Equal(3, choices.Count);
        Assert.Equal("get_forecast", choices[0].GetProperty("properties").GetProperty("tool").GetProperty("const").GetString());
        var arguments = choices[0].GetProperty("properties").GetProperty("arguments");
        Assert.Equal(["city", "days"], arguments.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(JsonValueKind.False, arguments.GetProperty("additionalProperties").ValueKind);
        Assert.Equal("get_time", choices[1].GetProperty("properties").GetProperty("tool").GetProperty("const").GetString());
        Assert.Equal("string", choices[2].GetProperty("properties").GetProperty("answer").GetProperty("type").GetString());
        Assert.False(format.Schema.Value.GetProperty("x-guidance").GetProperty("whitespace_flexible").GetBoolean());
    }

    [Fact]
    public async Task Auto_constraint_leaves_a_client_that_is_not_onnx_runtime_genai_unconstrained()
    {
        var model = new ScriptedToolModel("""{"answer":"Sunny."}""");
        var client = new ToolCallingChatClient(model);

        await client.GetResponseAsync(Question, _tools.Options(), Ct);

        Assert.False(client.ConstrainsReplies);
        Assert.Null(model.Calls[0].Options?.ResponseFormat);
    }

    [Fact]
    public void A_negative_correction_count_is_refused_with_the_option_named()
    {
        var error = Assert.Throws<InvalidOptionException>(
            () => new ToolCallingChatClient(new ScriptedToolModel(), new PromptedToolCallingOptions { MaxCorrections = -1 }));

        Assert.Contains("MaxCorrections", error.Message);
    }

    /// <summary>Function invocation above the decorator, as a host would build it.</summary>
    private static IChatClient Agent(IChatClient model, Action<PromptedToolCallingOptions>? configure = null) =>
        new ChatClientBuilder(model).UseFunctionInvocation().UsePromptedToolCalling(configure).Build();

    private sealed class WeatherTools
    {
        public WeatherTools()
        {
            Forecast = AIFunctionFactory.Create(
                ([Description("The city to forecast.")] string city, int days) =>
                {
                    Forecasts.Add((city, days));
                    return $"Sunny in {city} for {days} days";
                },
                "get_forecast",
                "Gets the weather forecast for a city.");
            Time = AIFunctionFactory.Create(
                () =>
                {
                    TimeCalls++;
                    return "12:00";
                },
                "get_time",
                "Gets the current time.");
        }

        public List<(string City, int Days)> Forecasts { get; } = [];

        public int TimeCalls { get; private set; }

        public AIFunction Forecast { get; }

        public AIFunction Time { get; }

        public ChatOptions Options(ChatToolMode? mode = null) => new() { Tools = [Forecast, Time], ToolMode = mode };
    }
}

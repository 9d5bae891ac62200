using System.Text.Json;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Plugins.Agent;
using KnowledgeQa.Plugins.Classification;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Results;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace KnowledgeQa.Plugins.Tests;

public class KnowledgeAgentTests(KnowledgeBaseFixture kb)
{
    private const string Question = "How long does a full charge take?";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_chat_model_the_agent_answers_with_the_labelled_extractive_answer()
    {
        var agent = kb.Services.GetRequiredService<KnowledgeAgent>();

        var reply = await agent.AskAsync(Question, Ct);

        Assert.False(agent.UsesChatModel);
        Assert.Equal(AgentReply.ExtractiveFallbackMode, reply.Mode);
        Assert.Equal("ask", Assert.Single(reply.Calls).Function);
        Assert.NotNull(reply.Grounded);
        Assert.Equal("extractive", reply.Grounded.Mode);
        Assert.Contains("four hours", reply.Answer);
        Assert.Contains("manual/charging.txt", reply.Sources);
        // Every surface shows replies as JSON.
        Assert.Contains("\"Mode\":\"extractive-fallback\"", JsonSerializer.Serialize(reply));
    }

    [Fact]
    public async Task A_model_call_of_ask_runs_against_the_store_and_its_result_reaches_the_model()
    {
        var model = AskThenAnswer("The full charge takes four hours [1].");
        var agent = new KnowledgeAgent(model,
            kb.Services.GetRequiredService<KnowledgeBasePlugin>(),
            kb.Services.GetRequiredService<ClassificationPlugin>(),
            options: new KnowledgeAgentOptions { PromptedToolCalling = false });

        var reply = await agent.AskAsync(Question, Ct);

        Assert.Equal(AgentReply.AgentMode, reply.Mode);
        Assert.Equal("The full charge takes four hours [1].", reply.Answer);
        var call = Assert.Single(reply.Calls);
        Assert.Equal((KnowledgeBasePlugin.PluginName, "ask"), (call.Plugin, call.Function));
        Assert.Equal(Question, call.Arguments["question"]);
        Assert.Contains("manual/charging.txt", reply.Sources);
        Assert.Equal("extractive", reply.Grounded?.Mode);

        // First request: the system prompt and the offered functions; second: the function's real result.
        Assert.Equal(2, model.Calls.Count);
        Assert.Equal(ChatRole.System, model.Calls[0].Messages[0].Role);
        Assert.Contains(model.Calls[0].Options!.Tools!, t => t.Name.EndsWith("search", StringComparison.Ordinal));
        var result = model.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Equal(CallId, result.CallId);
        var answer = Assert.IsType<AnswerResult>(result.Result);
        Assert.Contains("four hours", answer.Answer);
        Assert.Contains(answer.Citations, c => c.Source == "manual/charging.txt");
    }

    [Fact]
    public async Task On_the_tiny_local_model_the_agent_calls_a_plugin_through_prompted_tool_calling()
    {
        using var local = ChatClientFactory.Create(new ChatModelOptions
        {
            ModelPath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-llama"),
            MaxOutputTokens = 64,
        })!;
        Assert.True(KnowledgeAgent.NeedsPromptedToolCalling(local));
        var listed = new List<string>();
        // The random model knows nothing; restricting it to the argument-free function keeps a guided call short.
        var agent = new KnowledgeAgent(local,
            kb.Services.GetRequiredService<KnowledgeBasePlugin>(),
            options: new KnowledgeAgentOptions
            {
                Instructions = "Use the knowledge base.",
                FunctionChoice = FunctionChoiceBehavior.Required(functions: [ListDocuments()]),
                Filters = [new StopAfterFirstCall(listed)],
            });

        var reply = await agent.AskAsync("Which documents are there?", Ct);

        Assert.Equal(AgentReply.AgentMode, reply.Mode);
        var call = Assert.Single(reply.Calls);
        Assert.Equal((KnowledgeBasePlugin.PluginName, "list_documents"), (call.Plugin, call.Function));
        Assert.Equal(["list_documents"], listed);
    }

    private KernelFunction ListDocuments() =>
        KernelPluginFactory.CreateFromObject(kb.Services.GetRequiredService<KnowledgeBasePlugin>(), KnowledgeBasePlugin.PluginName)["list_documents"];

    /// <summary>Required() would require a call on every turn; one call is all the test needs.</summary>
    private sealed class StopAfterFirstCall(List<string> calls) : IAutoFunctionInvocationFilter
    {
        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            await next(context);
            calls.Add(context.Function.Name);
            context.Terminate = true;
        }
    }

    private const string CallId = "call-1";

    /// <summary>A model that calls the knowledge base's ask function, then answers with a scripted text.</summary>
    private static ScriptedChatModel AskThenAnswer(string finalAnswer) => new((call, options) =>
    {
        if (call > 0)
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, finalAnswer));
        var ask = options?.Tools?.FirstOrDefault(t => t.Name.EndsWith("ask", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("the ask function was not offered");
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(CallId, ask.Name, new Dictionary<string, object?> { ["question"] = Question })]));
    });
}

using System.Text.Json;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Agents.ToolCalling;
using KnowledgeQa.Plugins.AgentFramework;
using KnowledgeQa.Retrieval;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using KnowledgeQa.Plugins.Hosting;

namespace KnowledgeQa.Plugins.Tests;

/// <summary>
/// KnowledgeQa's functions in a Microsoft Agent Framework ChatClientAgent: a scripted model calls
/// them, the agent's function invocation runs them against the real knowledge base, and their
/// results reach the model.
/// </summary>
public class AgentFrameworkTests(KnowledgeBaseFixture kb)
{
    private const string Question = "How long does a full charge take?";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_functions_are_the_plugin_functions_under_qualified_names()
    {
        var functions = KnowledgeQaAIFunctions.Create(kb.Services);
        Assert.Equal(
            ["classification_classify", "classification_sentiment", "knowledge_base_ask", "knowledge_base_list_documents", "knowledge_base_search"],
            functions.Select(f => f.Name).Order());
        Assert.All(functions, f => Assert.False(string.IsNullOrWhiteSpace(f.Description)));
        var ask = Assert.Single(functions, f => f.Name == "knowledge_base_ask");
        Assert.True(ask.JsonSchema.GetProperty("properties").TryGetProperty("question", out _));

        var withAdmin = KnowledgeQaAIFunctions.Create(kb.Services, includeAdmin: true).Select(f => f.Name).ToList();
        Assert.Contains("knowledge_base_admin_add_document", withAdmin);
        Assert.Contains("knowledge_base_admin_delete_document", withAdmin);
    }

    [Fact]
    public async Task A_chat_client_agent_calls_ask_and_classify_and_answers_from_their_results()
    {
        const string final = "A full charge takes four hours [1]; the question is a technical one.";
        var model = new ScriptedChatModel((call, options) => call == 0
            ? new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [
                new FunctionCallContent("call-ask", "knowledge_base_ask", new Dictionary<string, object?> { ["question"] = Question }),
                new FunctionCallContent("call-classify", "classification_classify",
                    new Dictionary<string, object?> { ["text"] = Question, ["labels"] = "technical question,billing question" }),
            ]))
            : new ChatResponse(new ChatMessage(ChatRole.Assistant, final)));
        var hostTool = AIFunctionFactory.Create(() => "sunny", "weather", "Today's weather.");
        var agent = model.AsKnowledgeQaAgent(kb.Services, new KnowledgeQaAgentOptions { AdditionalTools = [hostTool] });

        var response = await agent.RunAsync(Question, cancellationToken: Ct);

        Assert.Equal(final, response.Text);
        Assert.Equal(2, model.Calls.Count);
        var offered = model.Calls[0].Options!.Tools!.Select(t => t.Name).ToList();
        Assert.Contains("knowledge_base_search", offered);
        Assert.Contains("classification_sentiment", offered);
        Assert.Contains("weather", offered);
        Assert.Null(agent.ChatClient.GetService<ToolCallingChatClient>());

        var results = model.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToDictionary(r => r.CallId);
        // The model sees the results as JSON: the grounded answer with its source, and a probability per label.
        var answer = Assert.IsType<JsonElement>(results["call-ask"].Result).GetRawText();
        Assert.Contains("four hours", answer);
        Assert.Contains("manual/charging.txt", answer);
        var label = Assert.IsType<JsonElement>(results["call-classify"].Result).GetRawText();
        Assert.Contains("\"technical question\"", label);
        Assert.Contains("\"billing question\"", label);
    }

    [Fact]
    public async Task A_call_the_model_can_correct_comes_back_with_the_reason()
    {
        var model = new ScriptedChatModel((call, options) => call == 0
            ? new ChatResponse(new ChatMessage(ChatRole.Assistant,
                [new FunctionCallContent("call-1", "classification_classify", new Dictionary<string, object?> { ["text"] = "hello", ["labels"] = "only-one" })]))
            : new ChatResponse(new ChatMessage(ChatRole.Assistant, "I need at least two labels.")));

        await model.AsKnowledgeQaAgent(kb.Services).RunAsync("Classify hello", cancellationToken: Ct);

        var result = model.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        var error = Assert.IsType<JsonElement>(result.Result).GetProperty("error").GetString();
        Assert.Contains("at least two comma-separated labels", error);
    }

    [Fact]
    public void A_local_model_gets_prompted_tool_calling_under_the_agents_function_invocation()
    {
        using var local = ChatClientFactory.Create(new ChatModelOptions { ModelPath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-llama") })!;

        var agent = local.AsKnowledgeQaAgent(kb.Services);

        Assert.NotNull(agent.ChatClient.GetService<ToolCallingChatClient>());
        Assert.Equal("knowledge-base", agent.Name);
    }

    [Fact]
    public void Without_a_chat_model_the_agent_cannot_be_made_and_the_error_says_what_to_configure()
    {
        var error = Assert.Throws<InvalidOptionException>(() => kb.Services.CreateKnowledgeQaAgent());
        Assert.Contains("KnowledgeQa:Chat:ModelPath", error.Message);
        Assert.False(kb.Services.GetRequiredService<ChatModel>().IsConfigured);
    }
}

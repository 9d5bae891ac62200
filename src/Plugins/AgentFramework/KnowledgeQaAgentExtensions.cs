using KnowledgeQa.Agents.ToolCalling;
using KnowledgeQa.Plugins.Agent;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Plugins.AgentFramework;

/// <summary>How <see cref="KnowledgeQaAgentExtensions.AsKnowledgeQaAgent"/> builds its agent.</summary>
public sealed record KnowledgeQaAgentOptions
{
    /// <summary>The system instructions; by default those of the Semantic Kernel knowledge agent.</summary>
    public string Instructions { get; init; } = KnowledgeAgentOptions.DefaultInstructions;

    public string Name { get; init; } = "knowledge-base";

    public string Description { get; init; } = "Answers questions from the knowledge base, with citations, and classifies texts.";

    /// <summary>Also give the agent knowledge_base_admin_add_document and _delete_document (writes to the knowledge base).</summary>
    public bool IncludeAdmin { get; init; }

    /// <summary>
    /// Offer the functions through the prompt with guided replies (<see cref="ToolCallingChatClient"/>);
    /// null decides by the model: on for local ONNX Runtime GenAI models, which ignore tools.
    /// </summary>
    public bool? PromptedToolCalling { get; init; }

    /// <summary>More tools beside KnowledgeQa's (the host's own functions).</summary>
    public IReadOnlyList<AITool> AdditionalTools { get; init; } = [];
}

/// <summary>Microsoft Agent Framework agents that answer from the knowledge base.</summary>
public static class KnowledgeQaAgentExtensions
{
    /// <summary>
    /// A <see cref="ChatClientAgent"/> over <paramref name="chatClient"/> with KnowledgeQa's functions
    /// (<see cref="KnowledgeQaAIFunctions"/>) as its tools, run automatically by the agent's function
    /// invocation. Local ONNX Runtime GenAI models get prompted tool calling.
    /// </summary>
    public static ChatClientAgent AsKnowledgeQaAgent(this IChatClient chatClient, IServiceProvider services, KnowledgeQaAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(services);
        options ??= new KnowledgeQaAgentOptions();
        // The agent adds function invocation on top; prompted tool calling must sit below it.
        var client = options.PromptedToolCalling ?? KnowledgeAgent.NeedsPromptedToolCalling(chatClient)
            ? new ChatClientBuilder(chatClient).UsePromptedToolCalling().Build(services)
            : chatClient;
        IList<AITool> tools = [.. KnowledgeQaAIFunctions.Create(services, options.IncludeAdmin), .. options.AdditionalTools];
        return new ChatClientAgent(client, options.Instructions, options.Name, options.Description, tools,
            services.GetService<ILoggerFactory>(), services);
    }

    /// <summary>The same agent over the chat model configured in <c>services.AddKnowledgeQa(...)</c> (Chat:ModelPath or Chat:Endpoint).</summary>
    /// <exception cref="InvalidOptionException">No chat model is configured.</exception>
    public static ChatClientAgent CreateKnowledgeQaAgent(this IServiceProvider services, KnowledgeQaAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var model = services.GetRequiredService<ChatModel>().Client
            ?? throw new InvalidOptionException(
                "An agent needs a chat model: set KnowledgeQa:Chat:ModelPath (a local ONNX Runtime GenAI model folder) " +
                "or KnowledgeQa:Chat:Endpoint and Chat:ModelName (an OpenAI-compatible server).");
        return model.AsKnowledgeQaAgent(services, options);
    }
}

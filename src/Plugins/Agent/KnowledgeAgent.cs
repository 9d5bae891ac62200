using System.Text.Json;
using KnowledgeQa.Agents.ToolCalling;
using KnowledgeQa.Plugins.Classification;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Results;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.Agent;

/// <summary>How the knowledge agent is built.</summary>
public sealed record KnowledgeAgentOptions
{
    public const string DefaultInstructions =
        "You are a knowledge-base assistant. Answer only from the knowledge base: call knowledge_base-ask " +
        "(or knowledge_base-search for passages) before answering, and cite the sources you used, for example [1] " +
        "or the document source. If the knowledge base does not contain the answer, say so; do not guess.";

    /// <summary>The system prompt.</summary>
    public string Instructions { get; init; } = DefaultInstructions;

    /// <summary>Also offer <c>knowledge_base_admin</c> (add and delete documents) to the model.</summary>
    public bool IncludeAdmin { get; init; }

    /// <summary>
    /// Offer tools through the prompt with guided replies (<see cref="ToolCallingChatClient"/>);
    /// null decides by the model: on for local ONNX Runtime GenAI models, which ignore tools.
    /// </summary>
    public bool? PromptedToolCalling { get; init; }

    /// <summary>How the model may call functions; null is <see cref="FunctionChoiceBehavior.Auto"/>.</summary>
    public FunctionChoiceBehavior? FunctionChoice { get; init; }

    /// <summary>The reply's token limit; null keeps the model's own.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Extra filters around each automatic function call (logging, approval, stopping).</summary>
    public IReadOnlyList<IAutoFunctionInvocationFilter> Filters { get; init; } = [];
}

/// <summary>One plugin function the agent called.</summary>
public sealed record AgentFunctionCall(string Plugin, string Function, IReadOnlyDictionary<string, string?> Arguments);

/// <summary>
/// The agent's answer: the text, how it was made (<c>agent</c>: the chat model calling plugins;
/// <c>extractive-fallback</c>: no chat model, the knowledge base's extractive answer), the functions
/// called and the sources the answer could draw on.
/// </summary>
public sealed record AgentReply(string Answer, string Mode, IReadOnlyList<AgentFunctionCall> Calls, IReadOnlyList<string> Sources, AnswerResult? Grounded)
{
    public const string AgentMode = "agent";
    public const string ExtractiveFallbackMode = "extractive-fallback";
}

/// <summary>
/// A knowledge agent: a Semantic Kernel with KnowledgeQa's plugins whose chat model answers by
/// calling them (<see cref="FunctionChoiceBehavior.Auto"/> over an <see cref="IChatClient"/> with
/// kernel function invocation). Local models get prompted tool calling. Without a chat model it
/// still answers: with the knowledge base's grounded extractive answer, labelled as such.
/// </summary>
public sealed class KnowledgeAgent
{
    public const string OnnxRuntimeGenAIProvider = "onnxruntime-genai";

    private readonly KnowledgeBasePlugin _knowledgeBase;
    private readonly KnowledgeAgentOptions _options;
    private readonly CallRecorder _recorder = new();

    public KnowledgeAgent(
        IChatClient? chatClient,
        KnowledgeBasePlugin knowledgeBase,
        ClassificationPlugin? classification = null,
        KnowledgeBaseAdminPlugin? admin = null,
        KnowledgeAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(knowledgeBase);
        _knowledgeBase = knowledgeBase;
        _options = options ?? new KnowledgeAgentOptions();
        if (admin is not null && !_options.IncludeAdmin)
            admin = null;
        if (chatClient is not null)
            Kernel = BuildKernel(chatClient, knowledgeBase, classification, admin);
    }

    /// <summary>Builds the agent from a container filled by <c>services.AddKnowledgeQa(...)</c>, using its configured chat model.</summary>
    public static KnowledgeAgent Create(IServiceProvider services, KnowledgeAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        options ??= new KnowledgeAgentOptions();
        return new KnowledgeAgent(
            services.GetRequiredService<ChatModel>().Client,
            services.GetRequiredService<KnowledgeBasePlugin>(),
            services.GetRequiredService<ClassificationPlugin>(),
            options.IncludeAdmin ? services.GetRequiredService<KnowledgeBaseAdminPlugin>() : null,
            options);
    }

    /// <summary>The agent's kernel (plugins and chat client); null when no chat model is configured.</summary>
    public Kernel? Kernel { get; }

    public bool UsesChatModel => Kernel is not null;

    /// <summary>Whether a client gets prompted tool calling when <see cref="KnowledgeAgentOptions.PromptedToolCalling"/> is unset.</summary>
    public static bool NeedsPromptedToolCalling(IChatClient client) =>
        client.GetService<ChatClientMetadata>()?.ProviderName == OnnxRuntimeGenAIProvider;

    public async Task<AgentReply> AskAsync(string question, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        if (Kernel is null)
        {
            var grounded = await _knowledgeBase.AskExtractiveAsync(question, cancellationToken).ConfigureAwait(false);
            return new AgentReply(
                grounded.Answer,
                AgentReply.ExtractiveFallbackMode,
                [new AgentFunctionCall(KnowledgeBasePlugin.PluginName, "ask", new Dictionary<string, string?> { ["question"] = question })],
                grounded.Citations.Select(c => c.Source).Distinct().ToList(),
                grounded);
        }

        var run = _recorder.Begin();
        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = _options.FunctionChoice ?? FunctionChoiceBehavior.Auto() };
        if (_options.MaxOutputTokens is { } maxTokens)
            settings.ExtensionData = new Dictionary<string, object> { ["max_tokens"] = maxTokens };
        var arguments = new KernelArguments(settings) { ["instructions"] = _options.Instructions, ["question"] = question };
        var result = await Kernel.InvokePromptAsync(
            """
            <message role="system">{{$instructions}}</message>
            <message role="user">{{$question}}</message>
            """,
            arguments,
            cancellationToken: cancellationToken).ConfigureAwait(false);

        return new AgentReply(
            AnswerText(result),
            AgentReply.AgentMode,
            run.Calls,
            run.Sources.Distinct().ToList(),
            run.Grounded);
    }

    private Kernel BuildKernel(IChatClient chatClient, KnowledgeBasePlugin knowledgeBase, ClassificationPlugin? classification, KnowledgeBaseAdminPlugin? admin)
    {
        var client = _options.PromptedToolCalling ?? NeedsPromptedToolCalling(chatClient)
            ? new ChatClientBuilder(chatClient).UsePromptedToolCalling().Build()
            : chatClient;
        var builder = Kernel.CreateBuilder();
        // Without UseKernelFunctionInvocation the model's calls are never run and the reply is empty.
        builder.Services.AddChatClient(client).UseKernelFunctionInvocation();
        builder.Plugins.AddFromObject(knowledgeBase, KnowledgeBasePlugin.PluginName);
        if (classification is not null)
            builder.Plugins.AddFromObject(classification, ClassificationPlugin.PluginName);
        if (admin is not null)
            builder.Plugins.AddFromObject(admin, KnowledgeBaseAdminPlugin.PluginName);
        builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(_recorder);
        foreach (var filter in _options.Filters)
            builder.Services.AddSingleton(filter);
        return builder.Build();
    }

    private static string AnswerText(FunctionResult result) => result.GetValue<object>() switch
    {
        null => "",
        string text => text,
        ChatResponse response => response.Text,
        var other => other.ToString() ?? "",
    };

    /// <summary>Records the calls of one run (kept per async flow, so concurrent questions do not mix).</summary>
    private sealed class CallRecorder : IAutoFunctionInvocationFilter
    {
        private readonly AsyncLocal<Run?> _current = new();

        public Run Begin() => _current.Value = new Run();

        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            var run = _current.Value;
            run?.Calls.Add(new AgentFunctionCall(
                context.Function.PluginName ?? "",
                context.Function.Name,
                (context.Arguments ?? []).ToDictionary(a => a.Key, a => a.Value is JsonElement json ? json.ToString() : a.Value?.ToString())));
            await next(context).ConfigureAwait(false);
            switch (context.Result.GetValue<object>())
            {
                case AnswerResult answer:
                    run?.Grounded = answer;
                    run?.Sources.AddRange(answer.Citations.Select(c => c.Source));
                    break;
                case IEnumerable<SearchResult> hits:
                    run?.Sources.AddRange(hits.Select(h => h.Source));
                    break;
            }
        }
    }

    private sealed class Run
    {
        public List<AgentFunctionCall> Calls { get; } = [];
        public List<string> Sources { get; } = [];
        public AnswerResult? Grounded { get; set; }
    }
}

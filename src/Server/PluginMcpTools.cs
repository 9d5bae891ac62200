using System.Text.Json;
using KnowledgeQa.Agents.ToolCalling;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using KnowledgeQa.Server.Mcp;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace KnowledgeQa.Server;

/// <summary>
/// The MCP tools, made from the Semantic Kernel plugin functions (knowledge_base: search, ask,
/// list_documents; classification: classify, sentiment): one definition serves kernels, agents
/// and MCP clients. KernelFunction (itself an AIFunction) ->
/// McpServerTool. The write-capable admin plugin is not exposed.
/// </summary>
public static class PluginMcpTools
{
    public static IMcpServerBuilder WithKnowledgeQaPluginTools(this IMcpServerBuilder builder)
    {
        builder.Services.AddOptions<McpServerOptions>().Configure<IServiceProvider>((options, services) =>
        {
            options.ToolCollection ??= [];
            foreach (var tool in Create(services))
                options.ToolCollection.Add(tool);
        });
        return builder;
    }

    public static IReadOnlyList<McpServerTool> Create(IServiceProvider services)
    {
        var plugins = new KernelPluginCollection().AddKnowledgeQa(services);
        var clientGone = services.GetService<McpClientConnection>()?.Gone ?? CancellationToken.None;
        return plugins
            .SelectMany(plugin => plugin)
            .Select(function => McpServerTool.Create(new CallerErrors(function, function.Name, clientGone), new McpServerToolCreateOptions
            {
                Name = function.Name,
                Description = function.Description,
                ReadOnly = true,
                SerializerOptions = ServerJson.Options,
            }))
            .ToList();
    }

    /// <summary>
    /// Arguments are checked against the tool's schema first, so a wrong type names the argument
    /// instead of failing inside the binder. Errors the caller can fix (empty text, bad labels, a
    /// limit, a store or model problem) reach the client with their message: MCP shows only
    /// McpException messages, other exceptions generically. The call stops when the client is gone.
    /// </summary>
    private sealed class CallerErrors(AIFunction inner, string toolName, CancellationToken clientGone) : DelegatingAIFunction(inner)
    {
        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            // An explicit null for an optional argument means "not given": the function's default applies.
            foreach (var name in arguments.Where(a => IsNull(a.Value)).Select(a => a.Key).ToList())
                arguments.Remove(name);
            var json = JsonSerializer.SerializeToElement<IDictionary<string, object?>>(arguments, ServerJson.Options);
            if (ArgumentValidator.Problem(InnerFunction, json, toolName) is { } problem)
                throw new McpException(problem);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clientGone);
            try
            {
                return await base.InvokeCoreAsync(arguments, linked.Token);
            }
            catch (Exception e) when (Fixable(e) is { } fixable)
            {
                throw new McpException(fixable.Message, e);
            }
        }

        private static bool IsNull(object? value) => value is null or JsonElement { ValueKind: JsonValueKind.Null };

        private static Exception? Fixable(Exception? e)
        {
            for (; e is not null; e = e.InnerException)
            {
                if (e is ArgumentException or KnowledgeQaException)
                    return e;
            }
            return null;
        }
    }
}

using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
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
        return plugins
            .SelectMany(plugin => plugin)
            .Select(function => McpServerTool.Create(new CallerErrors(function), new McpServerToolCreateOptions
            {
                Name = function.Name,
                Description = function.Description,
                ReadOnly = true,
                SerializerOptions = ServerJson.Options,
            }))
            .ToList();
    }

    /// <summary>
    /// Errors the caller can fix (empty text, bad labels, a store or model problem) reach the client
    /// with their message: MCP shows only McpException messages, other exceptions generically.
    /// </summary>
    private sealed class CallerErrors(AIFunction inner) : DelegatingAIFunction(inner)
    {
        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            try
            {
                return await base.InvokeCoreAsync(arguments, cancellationToken);
            }
            catch (Exception e) when (Fixable(e) is { } fixable)
            {
                throw new McpException(fixable.Message, e);
            }
        }

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

using System.Text.Json;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.AgentFramework;

/// <summary>
/// KnowledgeQa's functions as Microsoft.Extensions.AI <see cref="AIFunction"/>s, for a Microsoft
/// Agent Framework <c>ChatClientAgent</c> or any chat client with function invocation. They are the
/// Semantic Kernel plugin functions themselves (one definition serves kernels, MCP and agents),
/// named <c>plugin_function</c> so that names stay unique beside other tools:
/// knowledge_base_search, knowledge_base_ask, knowledge_base_list_documents,
/// classification_classify, classification_sentiment, and with <c>includeAdmin</c>
/// knowledge_base_admin_add_document and knowledge_base_admin_delete_document.
/// </summary>
public static class KnowledgeQaAIFunctions
{
    /// <summary>
    /// The functions, resolved from a container filled by <c>services.AddKnowledgeQa(...)</c>. The
    /// admin functions write to the knowledge base, so they are left out unless asked for.
    /// </summary>
    public static IReadOnlyList<AIFunction> Create(IServiceProvider services, bool includeAdmin = false)
    {
        ArgumentNullException.ThrowIfNull(services);
        var plugins = new KernelPluginCollection().AddKnowledgeQa(services, includeAdmin);
        return plugins
            .SelectMany(plugin => plugin.Select(function => (AIFunction)new KnowledgeQaFunction(function, $"{plugin.Name}_{function.Name}")))
            .ToList();
    }

    /// <summary>
    /// One plugin function under its qualified name. A mistake the model can correct (an empty
    /// question, too few labels) or a knowledge-base problem comes back to the model as
    /// <c>{"error": "..."}</c> with the message: function invocation would otherwise hide it behind
    /// a generic failure, and the model could neither fix its call nor tell the user.
    /// </summary>
    private sealed class KnowledgeQaFunction(AIFunction inner, string name) : DelegatingAIFunction(inner)
    {
        public override string Name => name;

        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            try
            {
                return await base.InvokeCoreAsync(arguments, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Correctable(e) is { } correctable)
            {
                return JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["error"] = correctable.Message });
            }
        }

        private static Exception? Correctable(Exception? e)
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

using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Agents.ToolCalling;

public static class ToolCallingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ToolCallingChatClient"/>: tool calling through the prompt (and guided decoding
    /// on ONNX Runtime GenAI) for a model without native tool calling. Add it after the
    /// function-invocation layer, which must sit above it:
    /// <c>new ChatClientBuilder(local).UseFunctionInvocation().UsePromptedToolCalling().Build()</c>.
    /// </summary>
    public static ChatClientBuilder UsePromptedToolCalling(
        this ChatClientBuilder builder, Action<PromptedToolCallingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PromptedToolCallingOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) => new ToolCallingChatClient(
            inner, options, services.GetService<ILoggerFactory>()?.CreateLogger<ToolCallingChatClient>()));
    }
}

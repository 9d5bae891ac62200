using KnowledgeQa.Plugins.Classification;
using KnowledgeQa.Plugins.KnowledgeBase;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.Hosting;

public static class KernelBuilderExtensions
{
    /// <summary>
    /// Adds KnowledgeQa's plugins (<c>knowledge_base</c>, <c>classification</c>, and with
    /// <paramref name="includeAdmin"/> <c>knowledge_base_admin</c>), resolved from the container that
    /// <c>services.AddKnowledgeQa(...)</c> filled. The admin plugin writes to the knowledge base, so
    /// it is off unless asked for.
    /// </summary>
    public static IKernelBuilderPlugins AddKnowledgeQa(this IKernelBuilderPlugins plugins, bool includeAdmin = false)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        plugins.Services.AddSingleton(sp => KernelPluginFactory.CreateFromObject(sp.GetRequiredService<KnowledgeBasePlugin>(), KnowledgeBasePlugin.PluginName));
        plugins.Services.AddSingleton(sp => KernelPluginFactory.CreateFromObject(sp.GetRequiredService<ClassificationPlugin>(), ClassificationPlugin.PluginName));
        if (includeAdmin)
            plugins.Services.AddSingleton(sp => KernelPluginFactory.CreateFromObject(sp.GetRequiredService<KnowledgeBaseAdminPlugin>(), KnowledgeBaseAdminPlugin.PluginName));
        return plugins;
    }

    /// <summary>Same, for a kernel already built: resolves the plugin objects from <paramref name="services"/>.</summary>
    public static KernelPluginCollection AddKnowledgeQa(this KernelPluginCollection plugins, IServiceProvider services, bool includeAdmin = false)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(services);
        plugins.AddFromObject(services.GetRequiredService<KnowledgeBasePlugin>(), KnowledgeBasePlugin.PluginName);
        plugins.AddFromObject(services.GetRequiredService<ClassificationPlugin>(), ClassificationPlugin.PluginName);
        if (includeAdmin)
            plugins.AddFromObject(services.GetRequiredService<KnowledgeBaseAdminPlugin>(), KnowledgeBaseAdminPlugin.PluginName);
        return plugins;
    }
}

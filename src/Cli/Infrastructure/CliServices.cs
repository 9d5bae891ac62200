using System.CommandLine;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>
/// The composition root of one command: configuration (appsettings.json in the current folder,
/// then KQA__ environment variables), then command-line flags on top, into the same
/// AddKnowledgeQa registration host apps use.
/// </summary>
public static class CliServices
{
    public static ServiceProvider Build(ParseResult parse, Action<KnowledgeQaOptions, ParseResult>? configure = null)
    {
        var services = new ServiceCollection();
        CliLogging.AddTo(services, parse);
        AddTo(services, parse, configure);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The same registration into a host's service collection (kqa serve, kqa mcp). The host brings
    /// its own log providers; --log-level / --verbose set their level.
    /// </summary>
    public static void AddTo(IServiceCollection services, ParseResult parse, Action<KnowledgeQaOptions, ParseResult>? configure = null)
    {
        CliLogging.ApplyLevel(services, parse);
        var appSettings = new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .Build()
            .GetSection(KnowledgeQaOptions.SectionName);
        // KQA__Store__Kind=qdrant sets Store:Kind: the environment speaks to the options tree directly.
        var environment = new ConfigurationBuilder().AddEnvironmentVariables("KQA__").Build();

        services.AddOptions<KnowledgeQaOptions>().Bind(appSettings).Bind(environment);
        services.AddKnowledgeQa(options =>
        {
            ApplyGlobalFlags(options, parse);
            configure?.Invoke(options, parse);
        });
    }

    private static void ApplyGlobalFlags(KnowledgeQaOptions options, ParseResult parse)
    {
        if (parse.GetValue(GlobalOptions.Data) is { } data)
            options.DataDirectory = data;
        if (parse.GetValue(GlobalOptions.EmbeddingModel) is { } model)
            options.Embedding.ModelPath = model;
        EmbeddingFlags.Apply(options.Embedding, parse);
        if (parse.GetValue(GlobalOptions.Store) is { } store)
        {
            options.Store.Kind = store.ToLowerInvariant() switch
            {
                "embedded" => StoreKind.Embedded,
                "qdrant" => StoreKind.Qdrant,
                _ => throw new InvalidOptionException($"--store '{store}' is not a store: use embedded or qdrant."),
            };
        }
        if (parse.GetValue(GlobalOptions.QdrantUrl) is { } url)
        {
            options.Store.Qdrant.Url = url;
            // Naming a Qdrant URL is asking for Qdrant, even without --store.
            if (parse.GetValue(GlobalOptions.Store) is null)
                options.Store.Kind = StoreKind.Qdrant;
        }
        if (parse.GetValue(GlobalOptions.QdrantApiKey) is { } key)
            options.Store.Qdrant.ApiKey = key;
        if (parse.GetValue(GlobalOptions.Collection) is { } collection)
            options.Store.Qdrant.Collection = collection;
    }
}

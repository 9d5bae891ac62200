using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Agents.Diagnostics;
using KnowledgeQa.Plugins.Agent;
using KnowledgeQa.Plugins.Classification;
using KnowledgeQa.Plugins.KnowledgeBase;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KnowledgeQa.Plugins.Hosting;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers KnowledgeQa's services (embedding model, lexical encoder, store, chunker, readers,
    /// ingestion, retrieval) from one <see cref="KnowledgeQaOptions"/>. Heavy pieces (the ONNX model,
    /// the store) are created on first use.
    /// </summary>
    public static IServiceCollection AddKnowledgeQa(this IServiceCollection services, Action<KnowledgeQaOptions>? configure = null)
    {
        var options = services.AddOptions<KnowledgeQaOptions>();
        if (configure is not null)
            options.Configure(configure);
        options.Validate(o => { o.Validate(); return true; });
        return services.AddKnowledgeQaCore();
    }

    /// <summary>Same, bound from a configuration section (for example "KnowledgeQa" of appsettings.json).</summary>
    public static IServiceCollection AddKnowledgeQa(this IServiceCollection services, IConfiguration section, Action<KnowledgeQaOptions>? configure = null)
    {
        services.AddOptions<KnowledgeQaOptions>().Bind(section);
        return services.AddKnowledgeQa(configure);
    }

    private static IServiceCollection AddKnowledgeQaCore(this IServiceCollection services)
    {
        static KnowledgeQaOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<KnowledgeQaOptions>>().Value;

        services.TryAddSingleton(sp => new OnnxEmbeddingGenerator(
            StoredEmbeddingPrecision.Resolve(Options(sp), sp.GetRequiredService<IKnowledgeStore>)));
        // Model calls go through Microsoft.Extensions.AI's OpenTelemetry decorators (GenAI spans and metrics; idle without a
        // listener). No logger: the decorators would log every model failure with its stack trace beside our own error.
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<OnnxEmbeddingGenerator>().WithKnowledgeQaTelemetry());
        services.TryAddSingleton(sp =>
        {
            var generator = sp.GetRequiredService<OnnxEmbeddingGenerator>();
            return new EmbeddingModelInfo(generator.ModelId, generator.Dimensions);
        });
        services.TryAddSingleton<ILexicalEncoder>(sp => new Bm25SparseEncoder(Options(sp).Lexical));
        services.TryAddSingleton(sp => new TextChunker(sp.GetRequiredService<OnnxEmbeddingGenerator>().TokenCounter, Options(sp).Chunking));
        services.TryAddSingleton(sp => DocumentReaderRegistry.CreateDefault(Options(sp).Readers));
        services.TryAddSingleton<IKnowledgeStore>(CreateStore);
        services.TryAddSingleton(sp => new IngestionPipeline(
            sp.GetRequiredService<DocumentReaderRegistry>(),
            sp.GetRequiredService<TextChunker>(),
            Options(sp).Chunking,
            sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(),
            sp.GetRequiredService<ILexicalEncoder>(),
            sp.GetRequiredService<IKnowledgeStore>(),
            sp.GetRequiredService<EmbeddingModelInfo>()));
        // Wrapped so that a server's tenant-bound API keys confine every search (a no-op otherwise).
        services.TryAddSingleton<IKnowledgeRetriever>(sp => new TenantScopedRetriever(new KnowledgeRetriever(
            sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(),
            sp.GetRequiredService<ILexicalEncoder>(),
            sp.GetRequiredService<IKnowledgeStore>(),
            sp.GetService<ILogger<KnowledgeRetriever>>())));
        services.TryAddSingleton(sp => new ChatModel(ChatClientFactory.Create(Options(sp).Chat)?.WithKnowledgeQaTelemetry()));
        services.TryAddSingleton(sp => new GroundedAnswerer(
            sp.GetRequiredService<IKnowledgeRetriever>(),
            sp.GetRequiredService<ChatModel>().Client,
            sp.GetRequiredService<ILexicalEncoder>(),
            Options(sp).Answer,
            sp.GetService<ILogger<GroundedAnswerer>>(),
            sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>()));
        // Follow-ups (the HTTP API's history, kqa chat) are rewritten with the chat model when there is one.
        services.TryAddSingleton(sp => new FollowUpRewriter(sp.GetRequiredService<ChatModel>().Client, sp.GetRequiredService<ILexicalEncoder>()));

        // Results show full source paths unless a server asks for less (AddKnowledgeQaServer).
        services.TryAddSingleton(SourceDisplay.Full);

        // The plugin objects; kernelBuilder.Plugins.AddKnowledgeQa() turns them into kernel plugins.
        services.TryAddSingleton<KnowledgeBasePlugin>();
        services.TryAddSingleton<ClassificationPlugin>();
        services.TryAddSingleton<KnowledgeBaseAdminPlugin>();
        services.TryAddSingleton(sp => KnowledgeAgent.Create(sp));
        return services;
    }

    private static IKnowledgeStore CreateStore(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<KnowledgeQaOptions>>().Value;
        return options.Store.Kind switch
        {
            StoreKind.Qdrant => new QdrantKnowledgeStore(options.Store.Qdrant, services.GetService<ILogger<QdrantKnowledgeStore>>()),
            _ => new EmbeddedKnowledgeStore(new EmbeddedStoreOptions
            {
                Path = options.EmbeddedStorePath,
                BusyTimeout = options.Store.BusyTimeout,
                MaxSizeBytes = options.Store.MaxSizeBytes,
                DeletedVectorCacheSize = options.Store.DeletedVectorCacheSize,
            }),
        };
    }
}

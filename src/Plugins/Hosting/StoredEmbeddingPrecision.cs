using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Plugins.Hosting;

/// <summary>
/// Auto precision follows a store that already holds vectors: a knowledge base embedded in int8 (or in
/// float32, once int8 is the default) is queried and extended in that precision, instead of refusing every
/// question until the user finds the flag. A new or empty store gets Auto's own choice.
/// </summary>
internal static class StoredEmbeddingPrecision
{
    public static EmbeddingOptions Resolve(KnowledgeQaOptions options, Func<IKnowledgeStore> store)
    {
        var embedding = options.Embedding;
        // Only an embedded store file that exists is asked: opening a store that is not there would create it,
        // and a remote store's call would belong to the command, not to loading a model.
        if (embedding.Precision != EmbeddingPrecision.Auto || options.Store.Kind != StoreKind.Embedded || !File.Exists(options.EmbeddedStorePath))
            return embedding;
        // The service factory is synchronous; this is one small local query, once per process.
        var model = store().GetStatisticsAsync().GetAwaiter().GetResult().EmbeddingModel;
        if (model is null)
            return embedding;
        var resolved = embedding.Clone();
        resolved.Precision = model.EndsWith(OnnxEmbeddingGenerator.Int8Suffix, StringComparison.Ordinal)
            ? EmbeddingPrecision.Int8
            : EmbeddingPrecision.Float32;
        return resolved;
    }
}

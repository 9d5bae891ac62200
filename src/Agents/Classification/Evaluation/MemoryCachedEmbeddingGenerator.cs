using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// Remembers the embedding of every text it has seen, for the life of the object: an evaluation run
/// classifies the same texts with many methods, and embedding them dominates the cost. Misses are sent
/// to the inner generator in batches. Disposing the cache leaves the inner generator alone: the cache
/// borrows it.
/// </summary>
public sealed class MemoryCachedEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, int batchSize = 32)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly ConcurrentDictionary<string, Embedding<float>> _cache = new(StringComparer.Ordinal);

    public int Count => _cache.Count;

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var missing = texts.Where(t => !_cache.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToArray();
        for (var start = 0; start < missing.Length; start += batchSize)
        {
            var batch = missing.AsMemory(start, Math.Min(batchSize, missing.Length - start)).ToArray();
            var embeddings = await base.GenerateAsync(batch, options, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Length; i++) _cache[batch[i]] = embeddings[i];
        }
        return new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => _cache[t]));
    }

    protected override void Dispose(bool disposing) => _cache.Clear();
}

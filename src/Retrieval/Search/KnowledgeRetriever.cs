using System.Diagnostics;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Retrieval.Search;

/// <summary>
/// Turns a question into what the store searches with: a dense vector (skipped in lexical mode)
/// and query terms (skipped in dense mode). Fusion happens in the store, so Qdrant can do it server-side.
/// </summary>
public sealed class KnowledgeRetriever(
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    ILexicalEncoder lexical,
    IKnowledgeStore store) : IKnowledgeRetriever
{
    public static readonly ActivitySource ActivitySource = new("KnowledgeQa.Search");

    /// <summary>Candidates each side contributes to hybrid fusion, per result asked for.</summary>
    public int CandidatesPerResult { get; init; } = 10;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, RetrievalOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (options.Top <= 0)
            throw new InvalidOptionException($"top must be at least 1 (got {options.Top}).");
        if (string.IsNullOrWhiteSpace(query))
            return [];

        using var activity = ActivitySource.StartActivity("search");
        activity?.SetTag("kqa.mode", options.Mode.ToString());

        var vector = options.Mode == SearchMode.Lexical
            ? ReadOnlyMemory<float>.Empty
            : (await embedder.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector;
        var sparse = options.Mode == SearchMode.Dense ? SparseVector.Empty : lexical.EncodeQuery(query);

        var hits = await store.SearchAsync(new StoreQuery
        {
            Vector = vector,
            Sparse = sparse,
            Mode = options.Mode,
            Top = options.Top,
            Filter = options.Filter,
            Candidates = Math.Max(50, options.Top * CandidatesPerResult),
        }, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("kqa.hits", hits.Count);
        return hits;
    }
}

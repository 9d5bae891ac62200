using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Search;

/// <summary>What a search asks for beyond the query text.</summary>
public sealed record RetrievalOptions
{
    public int Top { get; init; } = 5;
    public SearchMode Mode { get; init; } = SearchMode.Hybrid;
    public SearchFilter Filter { get; init; } = SearchFilter.None;
}

/// <summary>Searches the knowledge base by text: embeds and encodes the query, then asks the store.</summary>
public interface IKnowledgeRetriever
{
    Task<IReadOnlyList<SearchHit>> SearchAsync(string query, RetrievalOptions options, CancellationToken cancellationToken = default);
}

using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>Returns the hits it was given (up to Top) and records what it was asked.</summary>
internal sealed class FakeRetriever(params SearchHit[] hits) : IKnowledgeRetriever
{
    public List<(string Query, RetrievalOptions Options)> Queries { get; } = [];

    public Task<IReadOnlyList<SearchHit>> SearchAsync(string query, RetrievalOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Queries.Add((query, options));
        return Task.FromResult<IReadOnlyList<SearchHit>>(hits.Take(options.Top).ToList());
    }

    public static SearchHit Hit(
        string documentId, string text, double? dense = null, string? title = null, string[]? headings = null, int? page = null, int index = 0) => new()
    {
        Chunk = new Chunk
        {
            Id = Chunk.CreateId(documentId, index, text),
            DocumentId = documentId,
            Index = index,
            Text = text,
            Start = 0,
            End = text.Length,
            Headings = headings ?? [],
            Page = page,
        },
        Source = $"docs/{documentId}",
        Title = title,
        Score = dense ?? 0.01,
        DenseScore = dense,
        LexicalScore = 1.0,
    };
}

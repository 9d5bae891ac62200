using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>Ranks whole documents by the number of query terms they share; a stand-in for the real hybrid retriever.</summary>
internal sealed class OverlapRetriever(IEnumerable<Document> documents) : IKnowledgeRetriever
{
    private readonly SimpleLexicalEncoder _encoder = new();
    private readonly List<(Document Document, HashSet<string> Terms)> _documents =
        documents.Select(d => (d, new SimpleLexicalEncoder().Tokenize(d.Text).ToHashSet())).ToList();

    public Task<IReadOnlyList<SearchHit>> SearchAsync(string query, RetrievalOptions options, CancellationToken cancellationToken = default)
    {
        var terms = _encoder.Tokenize(query).ToHashSet();
        IReadOnlyList<SearchHit> hits = _documents
            .Select(d => (d.Document, Shared: terms.Count(d.Terms.Contains)))
            .Where(d => d.Shared > 0)
            .OrderByDescending(d => d.Shared)
            .Take(options.Top)
            .Select(d => new SearchHit
            {
                Chunk = new Chunk
                {
                    Id = Chunk.CreateId(d.Document.Id, 0, d.Document.Text),
                    DocumentId = d.Document.Id,
                    Index = 0,
                    Text = d.Document.Text,
                    Start = 0,
                    End = d.Document.Text.Length,
                },
                Source = d.Document.Source,
                Title = d.Document.Title,
                Score = d.Shared,
                LexicalScore = d.Shared,
            })
            .ToList();
        return Task.FromResult(hits);
    }
}

using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Classification;
using Microsoft.Extensions.AI;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Server;

public sealed record SearchRequest(string? Query, int? Top = null, string? Mode = null, IReadOnlyList<string?>? Tags = null);

public sealed record AskRequest(string? Question, int? Top = null, string? Mode = null, IReadOnlyList<string?>? Tags = null);

/// <summary>Zero-shot over <paramref name="Labels"/> ("name" or "name=description"), or the sentiment preset.</summary>
public sealed record ClassifyRequest(string? Text, IReadOnlyList<string?>? Labels = null, bool Sentiment = false);

/// <summary>
/// The operations both wire surfaces offer (HTTP endpoints and MCP tools), validated once here so
/// that the two answer the same input the same way.
/// </summary>
/// <remarks>
/// The bounds come from <see cref="RequestLimits"/>, shared with the plugins and MCP tools. Searches
/// are confined to the caller's tenant by the retriever; document listing and deletion here.
/// </remarks>
public sealed class KnowledgeApi(
    IKnowledgeRetriever retriever,
    GroundedAnswerer answerer,
    IKnowledgeStore store,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    SourceDisplay sources)
{
    private readonly Lazy<Task<SentimentClassifier>> _sentiment = new(() => SentimentClassifier.CreateAsync(embeddings));

    public async Task<IReadOnlyList<SearchResult>> SearchAsync(SearchRequest request, CancellationToken cancellationToken)
    {
        var query = RequestLimits.Text(request.Query, "query");
        var options = new RetrievalOptions
        {
            Top = RequestLimits.Top(request.Top),
            Mode = ParseMode(request.Mode),
            Filter = new SearchFilter { Tags = RequestLimits.Tags(request.Tags) },
        };
        var hits = await retriever.SearchAsync(query, options, cancellationToken);
        return hits.Select(hit => sources.Apply(SearchResult.From(hit))).ToList();
    }

    public async Task<AnswerResult> AskAsync(AskRequest request, CancellationToken cancellationToken)
    {
        var (question, options) = ReadAsk(request);
        return Show(await answerer.AskAsync(question, options, cancellationToken));
    }

    /// <summary>Text updates, then one update carrying the final answer.</summary>
    public IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(AskRequest request, CancellationToken cancellationToken)
    {
        var (question, options) = ReadAsk(request);
        return answerer.AskStreamingAsync(question, options, cancellationToken);
    }

    /// <summary>An answer as callers see it (sources shown as <see cref="SourceDisplay"/> says).</summary>
    public AnswerResult Show(KnowledgeAnswer answer) => sources.Apply(AnswerResult.From(answer));

    public async Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(CancellationToken cancellationToken)
    {
        var documents = new List<DocumentInfo>();
        await foreach (var document in store.ListDocumentsAsync(cancellationToken))
        {
            if (CallerTenant.MaySee(document.Tenant))
                documents.Add(sources.Apply(DocumentInfo.From(document)));
        }
        return documents;
    }

    /// <summary>The same result object as `kqa classify --json`.</summary>
    public async Task<ClassificationResult> ClassifyAsync(ClassifyRequest request, CancellationToken cancellationToken)
    {
        var text = RequestLimits.Text(request.Text, "text");
        var labels = request.Labels ?? [];
        ITextClassifier classifier;
        if (request.Sentiment)
        {
            if (labels.Count > 0)
                throw new ApiInputException("give either 'labels' (zero-shot) or 'sentiment': true, not both.");
            classifier = await _sentiment.Value.WaitAsync(cancellationToken);
        }
        else
        {
            if (labels.Count < 2)
                throw new ApiInputException("'labels' needs at least two non-empty labels (\"name\" or \"name=description\"), or send 'sentiment': true.");
            // One label per list item, so a description may contain commas (unlike the CLI's comma list).
            classifier = await ZeroShotClassifier.CreateAsync(embeddings, RequestLimits.Labels(labels).Select(LabelDefinition.Parse).ToList(), cancellationToken: cancellationToken);
        }
        return await classifier.ClassifyAsync(text, cancellationToken);
    }

    /// <summary>False when there is no such document, or it belongs to a tenant the caller may not see.</summary>
    public async Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(documentId))
            throw new ApiInputException("the document id is required: DELETE /v1/documents/ID.");
        return !await TenantOwnership.IsOffLimitsAsync(store, documentId, cancellationToken)
            && await store.DeleteDocumentAsync(documentId, cancellationToken);
    }

    private static (string Question, AskOptions Options) ReadAsk(AskRequest request) => (
        RequestLimits.Text(request.Question, "question"),
        new AskOptions
        {
            Top = RequestLimits.Top(request.Top),
            Mode = request.Mode is null ? null : ParseMode(request.Mode),
            Filter = RequestLimits.Tags(request.Tags) is { Count: > 0 } tags ? new SearchFilter { Tags = tags } : null,
        });

    public static SearchMode ParseMode(string? value) =>
        SearchModes.TryParse(value, out var mode)
            ? mode
            : throw new ApiInputException($"'mode' '{value}' is not a search mode: use hybrid, dense or lexical.");
}

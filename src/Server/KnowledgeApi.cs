using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Classification;
using Microsoft.Extensions.AI;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Server;

public sealed record SearchRequest(string? Query, int? Top = null, string? Mode = null, IReadOnlyList<string>? Tags = null);

public sealed record AskRequest(string? Question, int? Top = null, string? Mode = null, IReadOnlyList<string>? Tags = null);

/// <summary>Zero-shot over <paramref name="Labels"/> ("name" or "name=description"), or the sentiment preset.</summary>
public sealed record ClassifyRequest(string? Text, IReadOnlyList<string>? Labels = null, bool Sentiment = false);

/// <summary>
/// The operations both wire surfaces offer (HTTP endpoints and MCP tools), validated once here so
/// that the two answer the same input the same way.
/// </summary>
public sealed class KnowledgeApi(
    IKnowledgeRetriever retriever,
    GroundedAnswerer answerer,
    IKnowledgeStore store,
    IEmbeddingGenerator<string, Embedding<float>> embeddings)
{
    private readonly Lazy<Task<SentimentClassifier>> _sentiment = new(() => SentimentClassifier.CreateAsync(embeddings));

    public const int MaxTop = 50;
    public const int MaxQueryLength = 4000;
    public const int MaxLabels = 100;

    public async Task<IReadOnlyList<SearchResult>> SearchAsync(SearchRequest request, CancellationToken cancellationToken)
    {
        var query = Required(request.Query, "query");
        var options = new RetrievalOptions
        {
            Top = Top(request.Top, 5),
            Mode = ParseMode(request.Mode),
            Filter = new SearchFilter { Tags = request.Tags ?? [] },
        };
        var hits = await retriever.SearchAsync(query, options, cancellationToken);
        return hits.Select(SearchResult.From).ToList();
    }

    public async Task<AnswerResult> AskAsync(AskRequest request, CancellationToken cancellationToken)
    {
        var (question, options) = ReadAsk(request);
        return AnswerResult.From(await answerer.AskAsync(question, options, cancellationToken));
    }

    /// <summary>Text updates, then one update carrying the final answer.</summary>
    public IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(AskRequest request, CancellationToken cancellationToken)
    {
        var (question, options) = ReadAsk(request);
        return answerer.AskStreamingAsync(question, options, cancellationToken);
    }

    /// <summary>The same, with the caller's changes to the options (the OpenAI-compatible endpoint: extractive model, generation settings).</summary>
    public IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(AskRequest request, Func<AskOptions, AskOptions> adjust, CancellationToken cancellationToken)
    {
        var (question, options) = ReadAsk(request);
        return answerer.AskStreamingAsync(question, adjust(options), cancellationToken);
    }

    public async Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(CancellationToken cancellationToken)
    {
        var documents = new List<DocumentInfo>();
        await foreach (var document in store.ListDocumentsAsync(cancellationToken))
            documents.Add(DocumentInfo.From(document));
        return documents;
    }

    /// <summary>The same result object as `kqa classify --json`.</summary>
    public async Task<ClassificationResult> ClassifyAsync(ClassifyRequest request, CancellationToken cancellationToken)
    {
        var text = Required(request.Text, "text");
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
            if (labels.Count < 2 || labels.Any(string.IsNullOrWhiteSpace))
                throw new ApiInputException("'labels' needs at least two non-empty labels (\"name\" or \"name=description\"), or send 'sentiment': true.");
            if (labels.Count > MaxLabels)
                throw new ApiInputException($"{labels.Count} labels; the limit is {MaxLabels}.");
            // One label per list item, so a description may contain commas (unlike the CLI's comma list).
            classifier = await ZeroShotClassifier.CreateAsync(embeddings, labels.Select(LabelDefinition.Parse).ToList(), cancellationToken: cancellationToken);
        }
        return await classifier.ClassifyAsync(text, cancellationToken);
    }

    public Task<bool> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken) =>
        store.DeleteDocumentAsync(Required(documentId, "document id"), cancellationToken);

    private static (string Question, AskOptions Options) ReadAsk(AskRequest request) => (
        Required(request.Question, "question"),
        new AskOptions
        {
            Top = Top(request.Top, 5),
            Mode = request.Mode is null ? null : ParseMode(request.Mode),
            Filter = request.Tags is { Count: > 0 } tags ? new SearchFilter { Tags = tags } : null,
        });

    private static string Required(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ApiInputException($"'{name}' is required and must not be empty.");
        if (value.Length > MaxQueryLength)
            throw new ApiInputException($"'{name}' is {value.Length} characters; the limit is {MaxQueryLength}.");
        return value;
    }

    private static int Top(int? top, int fallback) => top switch
    {
        null => fallback,
        >= 1 and <= MaxTop => top.Value,
        _ => throw new ApiInputException($"'top' must be between 1 and {MaxTop} (got {top})."),
    };

    public static SearchMode ParseMode(string? value) =>
        SearchModes.TryParse(value, out var mode)
            ? mode
            : throw new ApiInputException($"'mode' '{value}' is not a search mode: use hybrid, dense or lexical.");
}

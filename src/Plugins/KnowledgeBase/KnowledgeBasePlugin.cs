using System.ComponentModel;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.KnowledgeBase;

/// <summary>A document as <c>list_documents</c> shows it: compact, with its source.</summary>
public sealed record DocumentSummary(string Id, string Source, string? Title, int Chunks, IReadOnlyList<string> Tags);

/// <summary>
/// Read-only access to the knowledge base for models and host apps: search it, ask it (grounded,
/// cited answers), list what it holds. Registered by default.
/// </summary>
public sealed class KnowledgeBasePlugin(IKnowledgeRetriever retriever, GroundedAnswerer answerer, IKnowledgeStore store)
{
    public const string PluginName = "knowledge_base";

    private const int MaxTop = 20;

    [KernelFunction("search")]
    [Description("Searches the knowledge base and returns the most relevant passages, each with its source document. Use it to find facts before answering.")]
    public async Task<IReadOnlyList<SearchResult>> SearchAsync(
        [Description("What to look for, in natural language or keywords.")] string query,
        [Description("How many passages to return (1 to 20).")] int top = 5,
        [Description("Only search documents carrying this tag; leave empty to search everything.")] string? tag = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        var options = new RetrievalOptions
        {
            Top = Math.Clamp(top, 1, MaxTop),
            Filter = string.IsNullOrWhiteSpace(tag) ? SearchFilter.None : new SearchFilter { Tags = [tag.Trim()] },
        };
        var hits = await retriever.SearchAsync(query, options, cancellationToken).ConfigureAwait(false);
        return hits.Select(SearchResult.From).ToList();
    }

    [KernelFunction("ask")]
    [Description("Answers a question from the knowledge base with numbered citations [n] of the passages used. Says so when the knowledge base does not contain the answer.")]
    public async Task<AnswerResult> AskAsync(
        [Description("The question to answer, as a complete sentence.")] string question,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var answer = await answerer.AskAsync(question, cancellationToken: cancellationToken).ConfigureAwait(false);
        return AnswerResult.From(answer);
    }

    /// <summary>The extractive answer even when a chat model is configured (the agent's fallback).</summary>
    public async Task<AnswerResult> AskExtractiveAsync(string question, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var answer = await answerer.AskAsync(question, new AskOptions { Extractive = true }, cancellationToken).ConfigureAwait(false);
        return AnswerResult.From(answer);
    }

    [KernelFunction("list_documents")]
    [Description("Lists the documents in the knowledge base: id, source, title, number of chunks and tags.")]
    public async Task<IReadOnlyList<DocumentSummary>> ListDocumentsAsync(CancellationToken cancellationToken = default)
    {
        var documents = new List<DocumentSummary>();
        await foreach (var document in store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
        {
            documents.Add(new DocumentSummary(document.Id, document.Source, document.Title, document.ChunkCount, document.Tags));
        }

        return documents;
    }
}

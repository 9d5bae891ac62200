using System.ComponentModel;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.SemanticKernel;

namespace KnowledgeQa.Plugins.KnowledgeBase;

/// <summary>A document as <c>list_documents</c> shows it: compact, with its source.</summary>
public sealed record DocumentSummary(string Id, string Source, string? Title, int Chunks, IReadOnlyList<string> Tags);

/// <summary>
/// Read-only access to the knowledge base for models and host apps: search it, ask it (grounded,
/// cited answers), list what it holds. Registered by default. Every function keeps the
/// <see cref="RequestLimits"/> and shows only the caller's tenant (<see cref="CallerTenant"/>),
/// because MCP clients and models reach the knowledge base through these functions.
/// </summary>
public sealed class KnowledgeBasePlugin(IKnowledgeRetriever retriever, GroundedAnswerer answerer, IKnowledgeStore store, SourceDisplay sources)
{
    public const string PluginName = "knowledge_base";

    [KernelFunction("search")]
    [Description("Searches the knowledge base and returns the most relevant passages, each with its source document. Use it to find facts before answering.")]
    public async Task<IReadOnlyList<SearchResult>> SearchAsync(
        [Description("What to look for, in natural language or keywords (at most 4000 characters).")] string query,
        [Description("How many passages to return (1 to 50).")] int top = RequestLimits.DefaultTop,
        [Description("Only search documents carrying this tag; leave empty to search everything.")] string? tag = null,
        CancellationToken cancellationToken = default)
    {
        var options = new RetrievalOptions
        {
            Top = RequestLimits.Top(top),
            Filter = string.IsNullOrWhiteSpace(tag) ? SearchFilter.None : new SearchFilter { Tags = [RequestLimits.Name(tag, "tag")] },
        };
        var hits = await retriever.SearchAsync(RequestLimits.Text(query, "query"), options, cancellationToken).ConfigureAwait(false);
        return hits.Select(hit => sources.Apply(SearchResult.From(hit))).ToList();
    }

    [KernelFunction("ask")]
    [Description("Answers a question from the knowledge base with numbered citations [n] of the passages used. Says so when the knowledge base does not contain the answer.")]
    public Task<AnswerResult> AskAsync(
        [Description("The question to answer, as a complete sentence (at most 4000 characters).")] string question,
        CancellationToken cancellationToken = default) =>
        AnswerAsync(question, extractive: false, cancellationToken);

    /// <summary>The extractive answer even when a chat model is configured (the agent's fallback).</summary>
    public Task<AnswerResult> AskExtractiveAsync(string question, CancellationToken cancellationToken = default) =>
        AnswerAsync(question, extractive: true, cancellationToken);

    private async Task<AnswerResult> AnswerAsync(string question, bool extractive, CancellationToken cancellationToken)
    {
        // The retriever confines the passages to the caller's tenant (TenantScopedRetriever).
        var options = new AskOptions { Extractive = extractive };
        var answer = await answerer.AskAsync(RequestLimits.Text(question, "question"), options, cancellationToken).ConfigureAwait(false);
        return sources.Apply(AnswerResult.From(answer));
    }

    [KernelFunction("list_documents")]
    [Description("Lists the documents in the knowledge base: id, source, title, number of chunks and tags.")]
    public async Task<IReadOnlyList<DocumentSummary>> ListDocumentsAsync(CancellationToken cancellationToken = default)
    {
        var documents = new List<DocumentSummary>();
        await foreach (var document in store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (CallerTenant.MaySee(document.Tenant))
                documents.Add(new DocumentSummary(document.Id, sources.Show(document.Source, document.Id), document.Title, document.ChunkCount, document.Tags));
        }

        return documents;
    }
}

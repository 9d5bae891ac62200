using System.ComponentModel;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace KnowledgeQa.Cli.Server;

/// <summary>
/// The MCP tools of kqa mcp (stdio) and kqa serve (/mcp): thin wrappers over
/// <see cref="KnowledgeApi"/>, the same operations the HTTP endpoints call, so both surfaces
/// validate and answer alike. Errors a caller can fix come back as tool errors with the message.
/// </summary>
[McpServerToolType]
public sealed class KnowledgeMcpTools(KnowledgeApi api)
{
    [McpServerTool(Name = "search", ReadOnly = true, Idempotent = true)]
    [Description("Search the knowledge base; returns the best passages with their document, source, page and score.")]
    public Task<IReadOnlyList<SearchResult>> SearchAsync(
        [Description("What to look for")] string query,
        [Description("How many passages (1-50, default 5)")] int top = 5,
        [Description("hybrid (default), dense or lexical")] string? mode = null,
        [Description("Only documents with one of these tags")] string[]? tags = null,
        CancellationToken cancellationToken = default) =>
        Guard(() => api.SearchAsync(new SearchRequest(query, top, mode, tags), cancellationToken));

    [McpServerTool(Name = "ask", ReadOnly = true)]
    [Description("Answer a question from the knowledge base, with numbered citations of the passages used; refuses when the knowledge base has no answer.")]
    public Task<AnswerResult> AskAsync(
        [Description("The question")] string question,
        [Description("How many passages to draw on (1-50, default 5)")] int top = 5,
        CancellationToken cancellationToken = default) =>
        Guard(() => api.AskAsync(new AskRequest(question, top), cancellationToken));

    [McpServerTool(Name = "classify", ReadOnly = true, Idempotent = true)]
    [Description("Classify a text into one of the given labels (zero-shot), or by sentiment; returns the label and a probability per label.")]
    public Task<ClassificationResult> ClassifyAsync(
        [Description("The text to classify")] string text,
        [Description("At least two labels, each \"name\" or \"name=description\"; leave out with sentiment")] string[]? labels = null,
        [Description("Classify positive / negative / neutral instead (English and Chinese)")] bool sentiment = false,
        CancellationToken cancellationToken = default) =>
        Guard(() => api.ClassifyAsync(new ClassifyRequest(text, labels, sentiment), cancellationToken));

    [McpServerTool(Name = "list_documents", ReadOnly = true, Idempotent = true)]
    [Description("List the documents in the knowledge base: id, source, title, tags, chunk count.")]
    public Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(CancellationToken cancellationToken = default) =>
        Guard(() => api.ListDocumentsAsync(cancellationToken));

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is ApiInputException or KnowledgeQaException)
        {
            // McpException's message reaches the client; other exceptions are reported generically.
            throw new McpException(e.Message, e);
        }
    }
}

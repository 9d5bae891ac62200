using KnowledgeQa.Agents.Answering;

namespace KnowledgeQa.Plugins.Results;

/// <summary>
/// An answer as every surface shows it (`kqa ask --json`, the HTTP API, plugin calls): the text,
/// whether it is grounded in the knowledge base, how it was made, and the passages it cites.
/// </summary>
public sealed record AnswerResult(
    string Question,
    string Answer,
    bool Grounded,
    bool Refused,
    string Mode,
    string? Label,
    string Language,
    IReadOnlyList<AnswerResult.CitationResult> Citations)
{
    public sealed record CitationResult(int Number, string DocumentId, string Source, string? Title, int? Page, IReadOnlyList<string>? Headings, string Text);

    public static AnswerResult From(KnowledgeAnswer answer) => new(
        answer.Question,
        answer.Text,
        answer.Grounded,
        answer.Refused,
        answer.Mode == AnswerMode.Generative ? "generative" : "extractive",
        answer.Label,
        answer.Language.ToString(),
        answer.Citations.Select(c => new CitationResult(
            c.Number, c.DocumentId, c.Source, c.Title, c.Page, c.Headings.Count > 0 ? c.Headings : null, c.Text)).ToList());
}

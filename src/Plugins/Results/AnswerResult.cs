using KnowledgeQa.Agents.Answering;

namespace KnowledgeQa.Plugins.Results;

/// <summary>
/// An answer as every surface shows it (`kqa ask --json`, the HTTP API, plugin calls): the text,
/// whether it is grounded in the knowledge base, how it was made, and the passages it cites, each
/// with the ranges of its text the answer used. <see cref="Explanation"/> and
/// <see cref="UncitedText"/> are only there when asked for.
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
    /// <summary>Why the answer is a refusal: noRelevantPassage, nothingToExtract or uncitedModelAnswer; null when it is not one.</summary>
    public string? RefusalReason { get; init; }

    /// <summary>A refused uncited model answer's own text, when the caller asked to keep it (it may say anything a document told the model).</summary>
    public string? UncitedText { get; init; }

    /// <summary>Retrieved passages with their dense and lexical ranks and scores, the relevance decision for each and why, the chosen sentences.</summary>
    public AnswerExplanation? Explanation { get; init; }

    /// <param name="Highlights">Character ranges of <paramref name="Text"/> the answer used.</param>
    public sealed record CitationResult(
        int Number, string DocumentId, string Source, string? Title, int? Page, IReadOnlyList<string>? Headings, string Text,
        IReadOnlyList<TextRange> Highlights);

    public static AnswerResult From(KnowledgeAnswer answer) => new(
        answer.Question,
        answer.Text,
        answer.Grounded,
        answer.Refused,
        answer.Mode == AnswerMode.Generative ? "generative" : "extractive",
        answer.Label,
        answer.Language.ToString(),
        answer.Citations.Select(c => new CitationResult(
            c.Number, c.DocumentId, c.Source, c.Title, c.Page, c.Headings.Count > 0 ? c.Headings : null, c.Text, c.Highlights)).ToList())
    {
        RefusalReason = answer.RefusalReason is { } reason ? char.ToLowerInvariant(reason.ToString()[0]) + reason.ToString()[1..] : null,
        UncitedText = answer.UncitedText,
        Explanation = answer.Explanation,
    };
}

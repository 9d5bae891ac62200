using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Builds an <see cref="AnswerExplanation"/>. The answer's own search gives one fused list; to show
/// where each passage ranked on the dense and on the lexical side, the question is searched once
/// more on each side alone (same filter), which only happens when an explanation is asked for.
/// </summary>
public sealed class AnswerExplainer(IKnowledgeRetriever retriever)
{
    /// <summary>How deep each side's list is searched for the passages' ranks.</summary>
    public const int SideDepth = 50;

    public async Task<AnswerExplanation> ExplainAsync(
        RetrievalOptions retrieval,
        QuestionEvidence evidence,
        IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> assessed,
        IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> used,
        IReadOnlyList<ExtractedSentence> sentences,
        IReadOnlyList<ExtractedSentence> runnersUp,
        bool sentenceEmbeddings,
        KnowledgeAnswer answer,
        CancellationToken cancellationToken)
    {
        var question = evidence.Focus.Question;
        var dense = await SideRanksAsync(question, retrieval, SearchMode.Dense, cancellationToken).ConfigureAwait(false);
        var lexical = await SideRanksAsync(question, retrieval, SearchMode.Lexical, cancellationToken).ConfigureAwait(false);
        var numbers = used.Select((u, i) => (u.Passage.Hit.Chunk.Id, Number: i + 1)).ToDictionary(p => p.Id, p => p.Number);

        // Chunks of an answering document drawn from below the candidates are shown after them, at their search rank.
        var shown = assessed.Concat(used.Where(u => !assessed.Any(a => ReferenceEquals(a.Passage, u.Passage))));
        var passages = shown.Select(a =>
        {
            var hit = a.Passage.Hit;
            var (denseRank, denseScore) = dense.GetValueOrDefault(hit.Chunk.Id);
            var (lexicalRank, lexicalScore) = lexical.GetValueOrDefault(hit.Chunk.Id);
            return new PassageExplanation(
                a.Passage.Rank + 1,
                numbers.TryGetValue(hit.Chunk.Id, out var n) ? n : null,
                hit.Chunk.DocumentId,
                hit.Chunk.Id,
                hit.Source,
                hit.Score,
                denseRank,
                hit.DenseScore ?? denseScore,
                lexicalRank,
                hit.LexicalScore ?? lexicalScore,
                a.Relevance.Score,
                a.Relevance.IsRelevant,
                a.Relevance.Reason,
                a.Relevance.Features);
        }).ToList();

        return new AnswerExplanation
        {
            Question = question,
            Mode = retrieval.Mode,
            Terms = evidence.Focus.Terms.Select(ContentTerms.Display).Distinct().ToList(),
            NamedTerms = evidence.Focus.NamedTerms.Select(ContentTerms.Display).Distinct().ToList(),
            AnswerKind = evidence.Focus.Kind.ToString().ToLowerInvariant(),
            SentenceEmbeddings = sentenceEmbeddings,
            Passages = passages,
            Sentences = sentences.Select(s => new SentenceExplanation(s.PassageNumber, s.Text, s.Score, s.Why ?? "")).ToList(),
            RunnersUp = runnersUp.Select(s => new SentenceExplanation(s.PassageNumber, s.Text, s.Score, s.Why ?? "")).ToList(),
            Decision = Decision(answer, assessed.Count, assessed.Count(a => a.Relevance.IsRelevant), used.Count, sentences.Count),
        };
    }

    private async Task<Dictionary<string, (int? Rank, double? Score)>> SideRanksAsync(
        string question, RetrievalOptions retrieval, SearchMode mode, CancellationToken cancellationToken)
    {
        var hits = await retriever.SearchAsync(question, retrieval with { Mode = mode, Top = Math.Max(SideDepth, retrieval.Top) }, cancellationToken)
            .ConfigureAwait(false);
        var ranks = new Dictionary<string, (int? Rank, double? Score)>(StringComparer.Ordinal);
        for (var i = 0; i < hits.Count; i++)
            ranks.TryAdd(hits[i].Chunk.Id, (i + 1, hits[i].Score));
        return ranks;
    }

    private static string Decision(KnowledgeAnswer answer, int retrieved, int relevant, int used, int sentences) => answer.RefusalReason switch
    {
        RefusalReason.NoRelevantPassage => retrieved == 0
            ? "refused: the search found nothing"
            : $"refused: none of the {retrieved} retrieved passages is relevant enough",
        RefusalReason.NothingToExtract => $"refused: the {relevant} relevant passages hold no sentence that can answer (headings, column names or code only)",
        RefusalReason.UncitedModelAnswer => "refused: the chat model's answer cites none of the passages",
        _ when answer.Mode == AnswerMode.Extractive =>
            $"answered extractively: {sentences} sentence(s) from {answer.Citations.Count} of {used} passages passed on ({relevant} of {retrieved} retrieved were relevant)",
        _ => $"answered by the chat model from {used} passages, citing {answer.Citations.Count} ({relevant} of {retrieved} retrieved were relevant)",
    };
}

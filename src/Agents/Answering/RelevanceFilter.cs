using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Answering;

/// <summary>How well a passage matches a question, and whether that is enough to answer from it.</summary>
public readonly record struct Relevance(double TermCoverage, double? DenseScore, bool IsRelevant);

/// <summary>
/// Decides which retrieved passages may ground an answer. Retrieval always returns its top k, even
/// for a question the knowledge base cannot answer, so each hit must earn its place: a dense
/// (cosine) score above a threshold, or enough of the question's content terms in the passage.
/// The term test is what works for Chinese, where the default embedding model's scores are noise.
/// </summary>
public sealed class RelevanceFilter(ContentTerms terms, AnswerOptions options)
{
    public Relevance Assess(IReadOnlyList<string> questionTerms, bool cjkQuestion, SearchHit hit)
    {
        var passageTerms = terms.AllOf(PassageText(hit));
        var coverage = questionTerms.Count == 0 ? 0 : questionTerms.Count(passageTerms.Contains) / (double)questionTerms.Count;
        var denseCounts = hit.DenseScore is not null && (!cjkQuestion || options.UseDenseScoreForCjk);
        var minCoverage = cjkQuestion ? options.MinTermCoverageCjk : options.MinTermCoverage;
        var relevant = coverage >= minCoverage || (denseCounts && hit.DenseScore >= options.MinDenseScore);
        return new Relevance(coverage, hit.DenseScore, relevant);
    }

    /// <summary>The text a passage is judged by: its document title and headings count, as they do for the reader.</summary>
    internal static string PassageText(SearchHit hit)
    {
        if (hit.Title is null && hit.Chunk.Headings.Count == 0)
        {
            return hit.Chunk.Text;
        }

        return string.Join('\n', [hit.Title ?? "", .. hit.Chunk.Headings, hit.Chunk.Text]);
    }
}

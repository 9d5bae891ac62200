using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// How an answer came about: what the question was read as, every retrieved passage with its
/// ranks and scores on each search side and the relevance decision (with the reason), and the
/// sentences chosen for an extractive answer. For people asking "why did it refuse?".
/// </summary>
public sealed record AnswerExplanation
{
    /// <summary>The question as retrieved (a follow-up rewritten to stand alone).</summary>
    public required string Question { get; init; }
    public required SearchMode Mode { get; init; }
    /// <summary>The question's content terms as the index writes them (Chinese character bigrams shown bare).</summary>
    public required IReadOnlyList<string> Terms { get; init; }
    /// <summary>Names, codes and numbers in the question: a passage without them is about something else.</summary>
    public required IReadOnlyList<string> NamedTerms { get; init; }
    /// <summary>The kind of answer the question asks for (number, duration, date, person, place, reason, method, definition, yesno, unknown).</summary>
    public required string AnswerKind { get; init; }
    /// <summary>Whether sentence embeddings took part (the embedding model can read the question).</summary>
    public required bool SentenceEmbeddings { get; init; }
    public required IReadOnlyList<PassageExplanation> Passages { get; init; }
    /// <summary>The extractive answer's sentences, best first; empty for a generated answer or a refusal.</summary>
    public IReadOnlyList<SentenceExplanation> Sentences { get; init; } = [];
    /// <summary>The best sentences that were not chosen, for "why not that one?".</summary>
    public IReadOnlyList<SentenceExplanation> RunnersUp { get; init; } = [];
    /// <summary>The outcome in one line ("answered from 2 of 5 passages", "refused: no passage is relevant").</summary>
    public required string Decision { get; init; }
}

/// <summary>A retrieved passage: where it ranked on each side, and whether it was relevant, and why.</summary>
/// <param name="Rank">1-based rank in the answer's own search.</param>
/// <param name="Number">The [n] it has in the answer, when it was passed on (relevant and within the prompt or extraction).</param>
/// <param name="Score">The answer's own search score (RRF for hybrid, cosine for dense, BM25 for lexical).</param>
/// <param name="DenseRank">1-based rank in a dense-only search of the same question; null when not in its top list.</param>
/// <param name="LexicalRank">1-based rank in a lexical-only search; null when not in its top list (or no term matched).</param>
/// <param name="Relevance">The relevance model's probability.</param>
public sealed record PassageExplanation(
    int Rank,
    int? Number,
    string DocumentId,
    string ChunkId,
    string Source,
    double Score,
    int? DenseRank,
    double? DenseScore,
    int? LexicalRank,
    double? LexicalScore,
    double Relevance,
    bool Relevant,
    string Reason,
    RelevanceFeatures Features);

/// <summary>A sentence of the extractive answer and what its score (the probability that it holds the answer) is made of.</summary>
public sealed record SentenceExplanation(int Number, string Text, double Score, string Why);

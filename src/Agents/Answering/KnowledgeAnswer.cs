using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Answering;

/// <summary>How an answer was made.</summary>
public enum AnswerMode
{
    /// <summary>Written by the chat model from the retrieved passages.</summary>
    Generative,

    /// <summary>Sentences taken from the retrieved passages (no chat model configured, or asked for).</summary>
    Extractive,
}

/// <summary>
/// A source an answer cites: passage [<see cref="Number"/>] of the answer's
/// <see cref="KnowledgeAnswer.Passages"/>, with where it comes from.
/// </summary>
public sealed record Citation
{
    /// <summary>The n of the [n] marker in the answer text (1-based index into the passages).</summary>
    public required int Number { get; init; }
    public required string DocumentId { get; init; }
    public required string ChunkId { get; init; }
    /// <summary>The document's source (path or URI).</summary>
    public required string Source { get; init; }
    public string? Title { get; init; }
    /// <summary>Headings above the passage, outermost first.</summary>
    public IReadOnlyList<string> Headings { get; init; } = [];
    public int? Page { get; init; }
    /// <summary>The passage text.</summary>
    public required string Text { get; init; }

    public static Citation FromHit(int number, SearchHit hit) => new()
    {
        Number = number,
        DocumentId = hit.Chunk.DocumentId,
        ChunkId = hit.Chunk.Id,
        Source = hit.Source,
        Title = hit.Title,
        Headings = hit.Chunk.Headings,
        Page = hit.Chunk.Page,
        Text = hit.Chunk.Text,
    };
}

/// <summary>An answer from the knowledge base.</summary>
public sealed record KnowledgeAnswer
{
    /// <summary>The question as asked.</summary>
    public required string Question { get; init; }

    /// <summary>The answer, with [n] markers that refer to <see cref="Passages"/>; free of labels, so it can be scored.</summary>
    public required string Text { get; init; }

    public required AnswerMode Mode { get; init; }

    /// <summary>
    /// True when the answer rests on passages that passed the relevance test and cites at least one
    /// of them; false for a refusal and for a generated answer that cites nothing.
    /// </summary>
    public required bool Grounded { get; init; }

    /// <summary>True when nothing relevant was found and <see cref="Text"/> says so (the chat model was not called).</summary>
    public bool Refused { get; init; }

    /// <summary>The passages the answer was made from, in [n] order ([1] is Passages[0]); empty for a refusal.</summary>
    public IReadOnlyList<SearchHit> Passages { get; init; } = [];

    /// <summary>The passages the answer cites, in order of [n].</summary>
    public IReadOnlyList<Citation> Citations { get; init; } = [];

    /// <summary>The language the answer was asked for in.</summary>
    public QuestionLanguage Language { get; init; }

    /// <summary>
    /// A line to show before the text, e.g. "Extractive answer (no chat model configured):";
    /// null for generated answers. Kept apart from <see cref="Text"/> so the text can be scored.
    /// </summary>
    public string? Label { get; init; }
}

/// <summary>
/// One step of a streamed answer: a piece of text to append, or (last) the complete answer.
/// Exactly one update, the last, has <see cref="Answer"/> set; its <see cref="Text"/> is empty.
/// </summary>
public sealed record AnswerUpdate(string Text, KnowledgeAnswer? Answer = null)
{
    public bool IsFinal => Answer is not null;
}

/// <summary>How the answerer retrieves, judges relevance and sizes prompts. Defaults suit all-MiniLM-L6-v2 + BM25.</summary>
public sealed record AnswerOptions
{
    /// <summary>Passages to retrieve.</summary>
    public int Top { get; init; } = 5;

    public SearchMode Mode { get; init; } = SearchMode.Hybrid;

    public SearchFilter Filter { get; init; } = SearchFilter.None;

    // Relevance thresholds, measured on the development halves of xquad-en, cmrc2018 and drcd with
    // every 10th context held out of the store (QaEvaluationOptions.HeldOutContexts): they refuse
    // 73-83% of the questions whose context is missing and 4-12% of those whose context was retrieved.

    /// <summary>A passage is relevant when its dense (cosine) score reaches this...</summary>
    public double MinDenseScore { get; init; } = 0.45;

    /// <summary>...or when it contains at least this share of the question's content terms...</summary>
    public double MinTermCoverage { get; init; } = 0.6;

    /// <summary>
    /// ...or, for questions in Chinese, Japanese or Korean, this share. Lower than for alphabetic
    /// text because segmentation of a question and of a passage differ and questions paraphrase.
    /// </summary>
    public double MinTermCoverageCjk { get; init; } = 0.4;

    /// <summary>
    /// Whether dense scores count for questions in Chinese, Japanese or Korean. Off by default:
    /// all-MiniLM-L6-v2 cannot represent those scripts, so its scores there are noise. Turn on with
    /// a multilingual embedding model.
    /// </summary>
    public bool UseDenseScoreForCjk { get; init; }

    /// <summary>The chat model's context window; null takes it from the chat client (<see cref="Chat.ChatModelLimits"/>), else 4096.</summary>
    public int? ContextTokens { get; init; }

    /// <summary>Tokens reserved for the answer when the chat client does not say (<see cref="Chat.ChatModelLimits"/>).</summary>
    public int MaxOutputTokens { get; init; } = 512;

    /// <summary>Longest a single passage may be in the prompt; longer ones are cut.</summary>
    public int MaxPassageTokens { get; init; } = 512;

    /// <summary>Most sentences in an extractive answer.</summary>
    public int MaxExtractiveSentences { get; init; } = 3;

    /// <summary>An extra extractive sentence must score at least this share of the best one.</summary>
    public double ExtractiveSentenceRatio { get; init; } = 0.75;

    /// <summary>How many of the top relevant passages the extractive answer draws from.</summary>
    public int ExtractivePassages { get; init; } = 3;
}

/// <summary>Per-question overrides of <see cref="AnswerOptions"/>.</summary>
public sealed record AskOptions
{
    public int? Top { get; init; }
    public SearchMode? Mode { get; init; }
    public SearchFilter? Filter { get; init; }

    /// <summary>Answer extractively even when a chat model is configured (e.g. to evaluate extraction).</summary>
    public bool Extractive { get; init; }

    /// <summary>
    /// Generation settings for the chat model (temperature, top_p, stop sequences, seed, a smaller
    /// output limit), as an OpenAI-compatible client sends them; unused by extractive answers.
    /// </summary>
    public Microsoft.Extensions.AI.ChatOptions? Generation { get; init; }
}

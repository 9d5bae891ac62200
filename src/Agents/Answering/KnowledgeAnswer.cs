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
    /// <summary>The ranges of <see cref="Text"/> the answer used (the chosen sentences; for a generated answer, the sentences it draws on).</summary>
    public IReadOnlyList<TextRange> Highlights { get; init; } = [];

    public static Citation FromHit(int number, SearchHit hit, IReadOnlyList<TextRange>? highlights = null) => new()
    {
        Number = number,
        DocumentId = hit.Chunk.DocumentId,
        ChunkId = hit.Chunk.Id,
        Source = hit.Source,
        Title = hit.Title,
        Headings = hit.Chunk.Headings,
        Page = hit.Chunk.Page,
        Text = hit.Chunk.Text,
        Highlights = highlights ?? [],
    };
}

/// <summary>Why an answer is a refusal.</summary>
public enum RefusalReason
{
    /// <summary>No retrieved passage passed the relevance test (the chat model was not called).</summary>
    NoRelevantPassage,
    /// <summary>The relevant passages hold no sentence that can answer (headings, column names, code only).</summary>
    NothingToExtract,
    /// <summary>The chat model's answer cited none of the passages, so it is not the knowledge base's answer.</summary>
    UncitedModelAnswer,
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

    /// <summary>True when <see cref="Text"/> says the knowledge base does not contain the answer; <see cref="RefusalReason"/> says why.</summary>
    public bool Refused { get; init; }

    public RefusalReason? RefusalReason { get; init; }

    /// <summary>
    /// The chat model's own text when its answer cited no passage and was refused
    /// (<see cref="RefusalReason.UncitedModelAnswer"/>); set only when the caller asked for it
    /// (<see cref="AskOptions.KeepUncitedText"/>), as it may be anything a document told the model to say.
    /// </summary>
    public string? UncitedText { get; init; }

    /// <summary>How the answer came about (retrieved passages, relevance decisions, chosen sentences); set when asked for (<see cref="AskOptions.Explain"/>).</summary>
    public AnswerExplanation? Explanation { get; init; }

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

    /// <summary>
    /// The relevance model for questions the embedding model can read (dense evidence counts);
    /// calibrated for all-MiniLM-L6-v2 on the development halves (docs/quality.md).
    /// </summary>
    public RelevanceModel DenseRelevance { get; init; } = RelevanceModel.WithDense;

    /// <summary>The relevance model on lexical evidence alone (Chinese with the default embedding model).</summary>
    public RelevanceModel LexicalRelevance { get; init; } = RelevanceModel.LexicalOnly;

    /// <summary>
    /// Whether dense scores count for questions in Chinese, Japanese or Korean. Off by default:
    /// all-MiniLM-L6-v2 cannot represent those scripts, so its scores there are noise. Turn on with
    /// a multilingual embedding model.
    /// </summary>
    public bool UseDenseScoreForCjk { get; init; }

    /// <summary>
    /// Embed the retrieved passages' sentences to compare each with the question (when an
    /// embedding model is given and can read the question). Sharpens relevance and sentence choice.
    /// </summary>
    public bool UseSentenceEmbeddings { get; init; } = true;

    /// <summary>
    /// Hits retrieved beyond <see cref="Top"/> only to weigh the question's terms: a term in many of
    /// them is the topic, one in few is what tells the answer apart. 0 weighs by the top passages alone.
    /// </summary>
    public int BackgroundPassages { get; init; } = 20;

    /// <summary>How the extractive answer weighs a sentence's evidence where sentence embeddings were computed.</summary>
    public ExtractiveScoring DenseExtraction { get; init; } = ExtractiveScoring.WithDense;

    /// <summary>How the extractive answer weighs a sentence's evidence on terms alone.</summary>
    public ExtractiveScoring LexicalExtraction { get; init; } = ExtractiveScoring.LexicalOnly;

    /// <summary>
    /// The same for a question written in Simplified Chinese (<see cref="ExtractiveScoring.LexicalSimplified"/>);
    /// null uses <see cref="LexicalExtraction"/>.
    /// </summary>
    public ExtractiveScoring? SimplifiedExtraction { get; init; } = ExtractiveScoring.LexicalSimplified;

    /// <summary>The sentence model for a question: dense evidence, or terms alone by the question's Chinese script.</summary>
    public ExtractiveScoring ExtractionFor(bool dense, ChineseScript script) =>
        dense ? DenseExtraction : script == ChineseScript.Simplified && SimplifiedExtraction is { } simplified ? simplified : LexicalExtraction;

    /// <summary>
    /// How passage sources are named in prompts. <see cref="PromptSourceNames.Auto"/>: full paths
    /// for local models and endpoints on loopback, file names for remote endpoints (a server's
    /// folder layout is nobody else's business).
    /// </summary>
    public PromptSourceNames PromptSources { get; init; } = PromptSourceNames.Auto;

    /// <summary>
    /// Whether a model reply must cite a passage to be given. On (the default), the reply is held
    /// back until its first citation and an uncited reply is refused: the model answered from
    /// elsewhere, or a document talked it into saying something. Off, an uncited reply is streamed and
    /// given as it is, marked not grounded (for small models that answer from the passages without
    /// citing them); callers must show that it cites nothing.
    /// </summary>
    public bool RequireCitations { get; init; } = true;

    /// <summary>The chat model's context window; null takes it from the chat client (<see cref="Chat.ChatModelLimits"/>), else 4096.</summary>
    public int? ContextTokens { get; init; }

    /// <summary>Tokens reserved for the answer when the chat client does not say (<see cref="Chat.ChatModelLimits"/>).</summary>
    public int MaxOutputTokens { get; init; } = 512;

    /// <summary>Longest a single passage may be in the prompt; longer ones are cut.</summary>
    public int MaxPassageTokens { get; init; } = 512;

    /// <summary>Most sentences in an extractive answer.</summary>
    public int MaxExtractiveSentences { get; init; } = 3;

    /// <summary>An extra extractive sentence must score at least this share of the best one...</summary>
    public double ExtractiveSentenceRatio { get; init; } = 0.4;

    /// <summary>...and at least this probability of holding the answer.</summary>
    public double MinExtraSentenceProbability { get; init; } = 0.15;

    /// <summary>
    /// The sentence right after the best one joins the answer at this probability, when the best one does
    /// not itself hold the asked-for kind of fact (the question restates one sentence, the answer is in the
    /// next). Chosen on the development halves: gold in answer rose on all three sets for about a tenth
    /// more characters (docs/quality.md).
    /// </summary>
    public double MinFollowerProbability { get; init; } = 0.06;

    /// <summary>
    /// The sentence right before the best one joins the answer at this probability, on the same condition as
    /// the follower (<see cref="MinFollowerProbability"/>): the answer stands in the sentence the best one goes on from.
    /// Chosen on the development halves' sentence samples: gold in answer rose on XQuAD and DRCD (not on CMRC 2018)
    /// for about 4% more characters (docs/quality.md).
    /// </summary>
    public double MinPredecessorProbability { get; init; } = 0.12;

    /// <summary>How many of the top relevant passages the extractive answer draws from.</summary>
    public int ExtractivePassages { get; init; } = 3;

    /// <summary>
    /// Whether the extractive answer also draws on retrieved passages judged not relevant when they come from the
    /// same document as a relevant one (counted in <see cref="ExtractivePassages"/>): an article's lead chunk often
    /// answers while another chunk repeats the question's words (docs/quality.md).
    /// </summary>
    public bool SameDocumentPassages { get; init; } = true;

    /// <summary>
    /// How many more chunks of those documents the extractive answer may draw on from the hits ranked below
    /// <see cref="Top"/> (of the <see cref="BackgroundPassages"/> one search brings): an article's chunk that holds
    /// the answer often ranks below its other chunks and other articles' ("白尾雀鲷生活在水深多少的海域" ranks the
    /// depth chunk 30th). They add sentences to choose from; they never decide whether the question is answered.
    /// </summary>
    public int BackgroundDocumentPassages { get; init; } = 2;
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

    /// <summary>Attach an <see cref="AnswerExplanation"/> (runs a dense and a lexical search beside the answer's own, for their ranks).</summary>
    public bool Explain { get; init; }

    /// <summary>Keep a refused uncited model answer's text in <see cref="KnowledgeAnswer.UncitedText"/>.</summary>
    public bool KeepUncitedText { get; init; }
}

/// <summary>How sources are named in the passages of a prompt.</summary>
public enum PromptSourceNames
{
    /// <summary>Full for local models and loopback endpoints, <see cref="FileName"/> for remote endpoints.</summary>
    Auto,
    /// <summary>The source as stored (an absolute path for ingested files).</summary>
    Full,
    /// <summary>The last segment of a path (the file name); URLs stay whole.</summary>
    FileName,
}

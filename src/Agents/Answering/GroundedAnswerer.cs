using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Agents.Diagnostics;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Answers questions from the knowledge base: retrieves passages, keeps those relevant to the
/// question, and has the chat model answer from them with [n] citations, in the question's
/// language. Without a chat model (or with <see cref="AskOptions.Extractive"/>) the answer is the
/// best sentences of the passages. When no passage is relevant, the answer says the knowledge base
/// does not contain it, without calling the model.
/// </summary>
public sealed class GroundedAnswerer
{
    public static readonly ActivitySource ActivitySource = new(AgentsTelemetry.AnsweringSourceName);

    private const int DefaultContextTokens = 4096;

    private readonly IKnowledgeRetriever _retriever;
    private readonly IChatClient? _chatClient;
    private readonly AnswerOptions _options;
    private readonly ContentTerms _terms;
    private readonly RelevanceFilter _relevance;
    private readonly ExtractiveAnswerer _extractive;
    private readonly ILogger _logger;

    /// <param name="retriever">Searches the knowledge base.</param>
    /// <param name="chatClient">The chat model; null answers extractively.</param>
    /// <param name="lexicalEncoder">The encoder the index uses, so question terms match passage terms.</param>
    public GroundedAnswerer(
        IKnowledgeRetriever retriever,
        IChatClient? chatClient,
        ILexicalEncoder lexicalEncoder,
        AnswerOptions? options = null,
        ILogger<GroundedAnswerer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(retriever);
        ArgumentNullException.ThrowIfNull(lexicalEncoder);
        _retriever = retriever;
        _chatClient = chatClient;
        _options = options ?? new AnswerOptions();
        _terms = new ContentTerms(lexicalEncoder);
        _relevance = new RelevanceFilter(_terms, _options);
        _extractive = new ExtractiveAnswerer(_terms, _options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Whether answers are generated (a chat model is configured) or extractive.</summary>
    public AnswerMode DefaultMode => _chatClient is null ? AnswerMode.Extractive : AnswerMode.Generative;

    /// <summary>
    /// Streams the answer: text pieces as they are produced, then one final update whose
    /// <see cref="AnswerUpdate.Answer"/> is the complete <see cref="KnowledgeAnswer"/>.
    /// </summary>
    public async IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(
        string question, AskOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        options ??= new AskOptions();
        using var activity = ActivitySource.StartActivity("answer");
        var started = Stopwatch.GetTimestamp();
        // Shadows the static Final below: every final answer passes here, so its duration and outcome reach the metrics.
        AnswerUpdate Final(KnowledgeAnswer answer)
        {
            AgentsTelemetry.RecordAnswer(answer, Stopwatch.GetElapsedTime(started), activity);
            return GroundedAnswerer.Final(answer);
        }

        var hits = await _retriever.SearchAsync(question, new RetrievalOptions
        {
            Top = options.Top ?? _options.Top,
            Mode = options.Mode ?? _options.Mode,
            Filter = options.Filter ?? _options.Filter,
        }, cancellationToken).ConfigureAwait(false);

        var language = LanguageDetector.Detect(question, string.Concat(hits.Take(3).Select(h => h.Chunk.Text)));
        var texts = AnswerTexts.For(language);
        var relevant = SelectRelevant(question, language, hits);
        var mode = options.Extractive || _chatClient is null ? AnswerMode.Extractive : AnswerMode.Generative;
        activity?.SetTag("kqa.retrieved", hits.Count);
        activity?.SetTag("kqa.relevant", relevant.Count);
        activity?.SetTag("kqa.mode", mode.ToString());

        if (relevant.Count == 0)
        {
            yield return new AnswerUpdate(texts.Refusal);
            yield return Final(Refusal(question, mode, language, texts));
            yield break;
        }

        if (mode == AnswerMode.Extractive)
        {
            // Passages without a single word to extract (tables of symbols, say) cannot answer either.
            var answer = Extract(question, relevant, language, texts) ?? Refusal(question, mode, language, texts);
            yield return new AnswerUpdate(answer.Text);
            yield return Final(answer);
            yield break;
        }

        var prompt = BuildPrompt(question, relevant, texts, out var outputTokens);
        activity?.SetTag("kqa.prompt_passages", prompt.Passages.Count);
        activity?.SetTag("kqa.prompt_tokens", prompt.Tokens);
        var generated = new StringBuilder();
        await foreach (var update in _chatClient!.GetStreamingResponseAsync(
            prompt.Messages, GenerationOptions.For(options.Generation, outputTokens), cancellationToken).ConfigureAwait(false))
        {
            if (!string.IsNullOrEmpty(update.Text))
            {
                generated.Append(update.Text);
                yield return new AnswerUpdate(update.Text);
            }
        }

        var text = generated.ToString().Trim();
        var citations = CitationParser.Parse(text, prompt.Passages.Count)
            .Order()
            .Select(n => Citation.FromHit(n, prompt.Passages[n - 1]))
            .ToList();
        yield return Final(new KnowledgeAnswer
        {
            Question = question,
            Text = text,
            Mode = AnswerMode.Generative,
            Grounded = citations.Count > 0,
            Passages = prompt.Passages,
            Citations = citations,
            Language = language,
        });
    }

    /// <summary>The complete answer (the stream of <see cref="AskStreamingAsync"/>, collected).</summary>
    public async Task<KnowledgeAnswer> AskAsync(string question, AskOptions? options = null, CancellationToken cancellationToken = default)
    {
        await foreach (var update in AskStreamingAsync(question, options, cancellationToken).ConfigureAwait(false))
        {
            if (update.Answer is { } answer)
            {
                return answer;
            }
        }

        throw new UnreachableException("the answer stream ended without its final update");
    }

    private static AnswerUpdate Final(KnowledgeAnswer answer) => new(string.Empty, answer);

    private List<SearchHit> SelectRelevant(string question, QuestionLanguage language, IReadOnlyList<SearchHit> hits)
    {
        var questionTerms = _terms.Of(question);
        var cjk = language != QuestionLanguage.Other;
        var relevant = new List<SearchHit>();
        foreach (var hit in hits)
        {
            var relevance = _relevance.Assess(questionTerms, cjk, hit);
            _logger.LogDebug("Passage {ChunkId} of {Document}: term coverage {Coverage:F2}, dense {Dense}, relevant {Relevant}",
                hit.Chunk.Id, hit.Chunk.DocumentId, relevance.TermCoverage, relevance.DenseScore, relevance.IsRelevant);
            if (relevance.IsRelevant)
            {
                relevant.Add(hit);
            }
        }

        return relevant;
    }

    private KnowledgeAnswer? Extract(string question, IReadOnlyList<SearchHit> relevant, QuestionLanguage language, AnswerTexts texts)
    {
        var sentences = _extractive.Select(question, relevant);
        if (sentences.Count == 0)
        {
            return null;
        }

        var text = ExtractiveAnswerer.Compose(sentences, texts);
        var cited = sentences.Select(s => s.PassageNumber).Distinct().Order()
            .Select(n => Citation.FromHit(n, relevant[n - 1]))
            .ToList();
        return new KnowledgeAnswer
        {
            Question = question,
            Text = text,
            Mode = AnswerMode.Extractive,
            Grounded = cited.Count > 0,
            Passages = relevant.Take(_options.ExtractivePassages).ToList(),
            Citations = cited,
            Language = language,
            Label = texts.ExtractiveLabel,
        };
    }

    private static KnowledgeAnswer Refusal(string question, AnswerMode mode, QuestionLanguage language, AnswerTexts texts) => new()
    {
        Question = question,
        Text = texts.Refusal,
        Mode = mode,
        Grounded = false,
        Refused = true,
        Language = language,
        Label = mode == AnswerMode.Extractive ? texts.ExtractiveLabel : null,
    };

    private GroundedPrompt BuildPrompt(string question, IReadOnlyList<SearchHit> relevant, AnswerTexts texts, out int outputTokens)
    {
        var chat = _chatClient!;
        var limits = chat.GetService<ChatModelLimits>();
        var context = _options.ContextTokens ?? limits?.ContextTokens ?? DefaultContextTokens;
        outputTokens = limits?.MaxOutputTokens ?? _options.MaxOutputTokens;
        var counter = chat.GetService<ITokenCounter>() ?? new ApproximateTokenCounter(context);
        var prompt = new GroundedPromptBuilder(counter).Build(question, relevant, texts, context, outputTokens, _options.MaxPassageTokens);
        if (prompt.Passages.Count < relevant.Count)
        {
            _logger.LogDebug("Context window of {Context} tokens holds {Kept} of {Relevant} relevant passages",
                context, prompt.Passages.Count, relevant.Count);
        }

        return prompt;
    }
}

using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
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
/// sentences of the passages that answer the question. When no passage is relevant, the answer says
/// the knowledge base does not contain it, without calling the model; a generated answer that cites
/// no passage is refused too.
/// </summary>
public sealed partial class GroundedAnswerer
{
    public static readonly ActivitySource ActivitySource = new(AgentsTelemetry.AnsweringSourceName);

    private const int DefaultContextTokens = 4096;

    private readonly IKnowledgeRetriever _retriever;
    private readonly IChatClient? _chatClient;
    private readonly AnswerOptions _options;
    private readonly ContentTerms _terms;
    private readonly QuestionAnalyzer _analyzer;
    private readonly RelevanceFilter _relevance;
    private readonly ExtractiveAnswerer _extractive;
    private readonly SentenceSimilarity _similarity;
    private readonly CitationHighlighter _highlighter;
    private readonly AnswerExplainer _explainer;
    private readonly ILogger _logger;

    /// <param name="retriever">Searches the knowledge base.</param>
    /// <param name="chatClient">The chat model; null answers extractively.</param>
    /// <param name="lexicalEncoder">The encoder the index uses, so question terms match passage terms.</param>
    /// <param name="embeddings">The embedding model, to compare the question with each sentence; null judges on the search scores and terms alone.</param>
    public GroundedAnswerer(
        IKnowledgeRetriever retriever,
        IChatClient? chatClient,
        ILexicalEncoder lexicalEncoder,
        AnswerOptions? options = null,
        ILogger<GroundedAnswerer>? logger = null,
        IEmbeddingGenerator<string, Embedding<float>>? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(retriever);
        ArgumentNullException.ThrowIfNull(lexicalEncoder);
        _retriever = retriever;
        _chatClient = chatClient;
        _options = options ?? new AnswerOptions();
        _terms = new ContentTerms(lexicalEncoder);
        _analyzer = new QuestionAnalyzer(_terms);
        _relevance = new RelevanceFilter(_options);
        _extractive = new ExtractiveAnswerer(_options);
        _similarity = new SentenceSimilarity(embeddings, _options);
        _highlighter = new CitationHighlighter(_terms);
        _explainer = new AnswerExplainer(retriever);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The options the answerer was made with.</summary>
    internal AnswerOptions Options => _options;

    /// <summary>The extractive answer's sentence choice (the sentence fitter reads its candidates).</summary>
    internal ExtractiveAnswerer Extractive => _extractive;

    /// <summary>Whether answers are generated (a chat model is configured) or extractive.</summary>
    public AnswerMode DefaultMode => _chatClient is null ? AnswerMode.Extractive : AnswerMode.Generative;

    /// <summary>
    /// Streams the answer: text pieces as they are produced (sentence by sentence for an extractive
    /// answer), then one final update whose <see cref="AnswerUpdate.Answer"/> is the complete
    /// <see cref="KnowledgeAnswer"/>.
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

        var retrieval = new RetrievalOptions
        {
            Top = options.Top ?? _options.Top,
            Mode = options.Mode ?? _options.Mode,
            Filter = options.Filter ?? _options.Filter,
        };
        // One search serves both: the top passages are the candidates, the rest only weigh the terms.
        var background = await _retriever.SearchAsync(
            question, retrieval with { Top = Math.Max(retrieval.Top, _options.BackgroundPassages) }, cancellationToken).ConfigureAwait(false);
        var assessment = await AssessAsync(question, background, retrieval.Top, cancellationToken).ConfigureAwait(false);
        var (hits, language, focus, evidence, sentenceEmbeddings, assessed) = assessment;
        var texts = AnswerTexts.For(language);
        var relevant = assessed.Where(a => a.Relevance.IsRelevant).ToList();
        var mode = options.Extractive || _chatClient is null ? AnswerMode.Extractive : AnswerMode.Generative;
        LogQuestion(_logger, hits.Count, relevant.Count, focus.Kind, sentenceEmbeddings, mode);
        foreach (var (passage, relevance) in assessed)
            LogPassage(_logger, passage.Rank + 1, passage.Hit.Chunk.DocumentId, passage.Hit.Chunk.Id, relevance.Reason);
        activity?.SetTag("kqa.retrieved", hits.Count);
        activity?.SetTag("kqa.relevant", relevant.Count);
        activity?.SetTag("kqa.mode", mode.ToString());

        var context = new AnswerContext(question, options, retrieval, mode, language, texts, evidence, assessed, sentenceEmbeddings);
        if (relevant.Count == 0)
        {
            yield return new AnswerUpdate(texts.Refusal);
            yield return Final(await FinishAsync(context, Refusal(context, RefusalReason.NoRelevantPassage), [], [], cancellationToken).ConfigureAwait(false));
            yield break;
        }

        if (mode == AnswerMode.Extractive)
        {
            var drawnOn = await DrawOnAsync(assessment, cancellationToken).ConfigureAwait(false);
            var chosen = _extractive.Select(evidence, drawnOn, out var notChosen);
            var (used, sentences, runnersUp) = CitedFirst.Renumber(drawnOn, chosen, notChosen);
            if (sentences.Count == 0)
            {
                // Passages without a sentence that can answer (tables of symbols, headings, code) cannot answer either.
                yield return new AnswerUpdate(texts.Refusal);
                yield return Final(await FinishAsync(context, Refusal(context, RefusalReason.NothingToExtract), [], [], cancellationToken).ConfigureAwait(false));
                yield break;
            }

            for (var s = 0; s < sentences.Count; s++)
                yield return new AnswerUpdate(ExtractiveAnswerer.Piece(sentences[s], texts, first: s == 0));
            yield return Final(await FinishAsync(context, Extracted(context, sentences, used), used, sentences, cancellationToken, runnersUp).ConfigureAwait(false));
            yield break;
        }

        var prompt = BuildPrompt(question, relevant.Select(r => r.Passage.Hit).ToList(), texts, out var outputTokens);
        activity?.SetTag("kqa.prompt_passages", prompt.Passages.Count);
        activity?.SetTag("kqa.prompt_tokens", prompt.Tokens);
        LogPrompt(_logger, prompt.Passages.Count, prompt.Tokens, outputTokens);
        var gate = new CitationGate(prompt.Passages.Count, holdUntilCited: _options.RequireCitations);
        await foreach (var update in _chatClient!.GetStreamingResponseAsync(
            prompt.Messages, GenerationOptions.For(options.Generation, outputTokens), cancellationToken).ConfigureAwait(false))
        {
            if (!string.IsNullOrEmpty(update.Text) && gate.Add(update.Text) is { Length: > 0 } shown)
                yield return new AnswerUpdate(shown);
        }

        var inPrompt = relevant.Take(prompt.Passages.Count).ToList();
        var generated = Generated(context, gate.Text.Trim(), inPrompt);
        if (generated.Refused)
        {
            LogUncited(_logger, gate.Text.Length);
            yield return new AnswerUpdate(texts.Refusal);
        }

        yield return Final(await FinishAsync(context, generated, inPrompt, [], cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The question read against its retrieved passages, with each passage's relevance decision.</summary>
    internal sealed record Assessment(
        IReadOnlyList<SearchHit> Hits,
        QuestionLanguage Language,
        QuestionFocus Focus,
        QuestionEvidence Evidence,
        bool SentenceEmbeddings,
        IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> Assessed);

    /// <summary>
    /// Reads the question against the first <paramref name="top"/> of <paramref name="background"/>
    /// (the rest only weigh its terms) and decides each passage's relevance: every step of an answer
    /// before the answer itself. The relevance fitter calls it on hit lists it edits.
    /// </summary>
    internal async Task<Assessment> AssessAsync(string question, IReadOnlyList<SearchHit> background, int top, CancellationToken cancellationToken)
    {
        var hits = background.Take(top).ToList();
        var language = LanguageDetector.Detect(question, string.Concat(hits.Take(3).Select(h => h.Chunk.Text)));
        var focus = _analyzer.Analyze(question, language);
        var evidence = QuestionEvidence.Build(focus, hits, _terms, background.Count > hits.Count ? background : null);
        var sentenceEmbeddings = await _similarity.ScoreAsync(evidence, cancellationToken).ConfigureAwait(false);
        var decisions = _relevance.AssessAll(evidence);
        var assessed = evidence.Passages.Select((p, i) => (Passage: p, Relevance: decisions[i])).ToList();
        return new Assessment(hits, language, focus, evidence, sentenceEmbeddings, assessed);
    }

    /// <summary>
    /// The passages an extractive answer chooses its sentences from (<see cref="ExtractiveAnswerer.DrawnOn"/>): the chunks
    /// of the answering documents that rank below the candidates are assessed, and their sentences embedded where the
    /// candidates' were, so that their sentences are scored on the same evidence.
    /// </summary>
    internal async Task<IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)>> DrawOnAsync(
        Assessment assessment, CancellationToken cancellationToken)
    {
        var below = _extractive.BackgroundOfRelevantDocuments(assessment.Assessed, assessment.Evidence.Background);
        if (below.Count > 0 && assessment.SentenceEmbeddings)
            await _similarity.ScoreAsync(assessment.Focus, below, cancellationToken).ConfigureAwait(false);
        var assessedBelow = below.Select(passage =>
        {
            var relevance = _relevance.Assess(assessment.Evidence, passage);
            return (passage, relevance with { Reason = $"below the top {assessment.Hits.Count}, from a document that answers: {relevance.Reason}" });
        }).ToList();
        return _extractive.DrawnOn(assessment.Assessed, assessedBelow);
    }

    /// <summary>The complete answer (the stream of <see cref="AskStreamingAsync"/>, collected).</summary>
    public async Task<KnowledgeAnswer> AskAsync(string question, AskOptions? options = null, CancellationToken cancellationToken = default)
    {
        await foreach (var update in AskStreamingAsync(question, options, cancellationToken).ConfigureAwait(false))
        {
            if (update.Answer is { } answer)
                return answer;
        }

        throw new UnreachableException("the answer stream ended without its final update");
    }

    /// <summary>What one question's answer is made from, passed between the steps.</summary>
    private sealed record AnswerContext(
        string Question,
        AskOptions Options,
        RetrievalOptions Retrieval,
        AnswerMode Mode,
        QuestionLanguage Language,
        AnswerTexts Texts,
        QuestionEvidence Evidence,
        IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> Assessed,
        bool SentenceEmbeddings);

    private static AnswerUpdate Final(KnowledgeAnswer answer) => new(string.Empty, answer);

    private async Task<KnowledgeAnswer> FinishAsync(
        AnswerContext context, KnowledgeAnswer answer, IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> used,
        IReadOnlyList<ExtractedSentence> sentences, CancellationToken cancellationToken, IReadOnlyList<ExtractedSentence>? runnersUp = null)
    {
        if (!context.Options.Explain)
            return answer;
        var explanation = await _explainer.ExplainAsync(
            context.Retrieval, context.Evidence, context.Assessed, used, sentences, runnersUp ?? [], context.SentenceEmbeddings, answer, cancellationToken).ConfigureAwait(false);
        return answer with { Explanation = explanation };
    }

    private KnowledgeAnswer Extracted(
        AnswerContext context, IReadOnlyList<ExtractedSentence> sentences, IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> used)
    {
        var cited = sentences.GroupBy(s => s.PassageNumber).OrderBy(g => g.Key)
            .Select(g => Citation.FromHit(g.Key, used[g.Key - 1].Passage.Hit, Merge(g.SelectMany(s => s.Ranges))))
            .ToList();
        return new KnowledgeAnswer
        {
            Question = context.Question,
            Text = ExtractiveAnswerer.Compose(sentences, context.Texts),
            Mode = AnswerMode.Extractive,
            Grounded = cited.Count > 0,
            Passages = used.Select(u => u.Passage.Hit).ToList(),
            Citations = cited,
            Language = context.Language,
            Label = context.Texts.ExtractiveLabel,
        };
    }

    private KnowledgeAnswer Generated(AnswerContext context, string text, IReadOnlyList<(PassageEvidence Passage, PassageRelevance Relevance)> inPrompt)
    {
        var numbers = CitationParser.Parse(text, inPrompt.Count);
        var uncited = new KnowledgeAnswer
        {
            Question = context.Question,
            Text = text,
            Mode = AnswerMode.Generative,
            Grounded = false,
            Passages = inPrompt.Select(p => p.Passage.Hit).ToList(),
            Language = context.Language,
        };
        if (numbers.Count == 0 && !_options.RequireCitations)
        {
            return uncited;
        }
        if (numbers.Count == 0)
        {
            // The model answered from anywhere but the passages, or a document talked it into saying something: not the knowledge base's answer.
            return Refusal(context, RefusalReason.UncitedModelAnswer) with
            {
                Passages = uncited.Passages,
                UncitedText = context.Options.KeepUncitedText ? text : null,
            };
        }

        var highlights = _highlighter.Highlight(text, inPrompt.Select(p => p.Passage).ToList());
        return uncited with
        {
            Grounded = true,
            Citations = numbers.Order().Select(n => Citation.FromHit(n, inPrompt[n - 1].Passage.Hit, highlights.GetValueOrDefault(n))).ToList(),
        };
    }

    private static IReadOnlyList<TextRange> Merge(IEnumerable<TextRange> ranges) => ranges.Distinct().OrderBy(r => r.Start).ToList();

    private static KnowledgeAnswer Refusal(AnswerContext context, RefusalReason reason) => new()
    {
        Question = context.Question,
        Text = context.Texts.Refusal,
        Mode = context.Mode,
        Grounded = false,
        Refused = true,
        RefusalReason = reason,
        Language = context.Language,
        Label = context.Mode == AnswerMode.Extractive ? context.Texts.ExtractiveLabel : null,
    };

    private GroundedPrompt BuildPrompt(string question, IReadOnlyList<SearchHit> relevant, AnswerTexts texts, out int outputTokens)
    {
        var chat = _chatClient!;
        var limits = chat.GetService<ChatModelLimits>();
        var context = _options.ContextTokens ?? limits?.ContextTokens ?? DefaultContextTokens;
        outputTokens = limits?.MaxOutputTokens ?? _options.MaxOutputTokens;
        var counter = chat.GetService<ITokenCounter>() ?? new ApproximateTokenCounter(context);
        var prompt = new GroundedPromptBuilder(counter).Build(
            question, relevant, texts, context, outputTokens, _options.MaxPassageTokens, SourceNames(chat));
        if (prompt.Passages.Count < relevant.Count)
            LogWindow(_logger, context, prompt.Passages.Count, relevant.Count);
        return prompt;
    }

    /// <summary>
    /// Full source paths for a local model or a server on this machine; file names for anything
    /// remote, which has no business knowing the server's folder layout.
    /// </summary>
    private PromptSourceNames SourceNames(IChatClient chat)
    {
        if (_options.PromptSources != PromptSourceNames.Auto)
            return _options.PromptSources;
        var provider = chat.GetService<ChatClientMetadata>()?.ProviderUri;
        var remote = provider is { IsAbsoluteUri: true } uri && uri.Scheme is "http" or "https"
            && !uri.IsLoopback && !(IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
        return remote ? PromptSourceNames.FileName : PromptSourceNames.Full;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retrieved {Retrieved} passages, {Relevant} relevant; answer kind {Kind}, sentence embeddings {SentenceEmbeddings}, mode {Mode}")]
    private static partial void LogQuestion(ILogger logger, int retrieved, int relevant, AnswerKind kind, bool sentenceEmbeddings, AnswerMode mode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Passage {Rank} ({DocumentId}, chunk {ChunkId}): {Reason}")]
    private static partial void LogPassage(ILogger logger, int rank, string documentId, string chunkId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Prompt holds {Passages} passages in {Tokens} tokens; {OutputTokens} kept for the answer")]
    private static partial void LogPrompt(ILogger logger, int passages, int tokens, int outputTokens);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Context window of {Context} tokens holds {Kept} of {Relevant} relevant passages")]
    private static partial void LogWindow(ILogger logger, int context, int kept, int relevant);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model's answer ({Length} characters) cites no passage; refused")]
    private static partial void LogUncited(ILogger logger, int length);
}

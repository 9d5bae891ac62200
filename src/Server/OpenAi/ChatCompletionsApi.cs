using System.Diagnostics;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Diagnostics;
using KnowledgeQa.Plugins.Agent;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Server.OpenAi;

/// <summary>
/// POST /v1/chat/completions: the last user message is rewritten to stand alone with the earlier
/// turns (<see cref="FollowUpRewriter"/>), answered from the knowledge base through the same path as
/// POST /v1/ask (<see cref="KnowledgeApi"/>: limits, tenants and source display included), and
/// returned as an OpenAI chat.completion, or streamed as chat.completion.chunk events ending with
/// <c>data: [DONE]</c>.
/// </summary>
public sealed partial class ChatCompletionsApi
{
    private static readonly ActivitySource Source = new(KnowledgeQaTelemetry.ServerSourceName);

    private readonly KnowledgeApi _api;
    private readonly FollowUpRewriter _rewriter;
    private readonly bool _hasChatModel;
    private readonly bool _localModel;
    private readonly ILogger _logger;

    public ChatCompletionsApi(KnowledgeApi api, ChatModel chatModel, ILexicalEncoder lexicalEncoder, ILogger<ChatCompletionsApi> logger)
    {
        _api = api;
        _rewriter = new FollowUpRewriter(chatModel.Client, lexicalEncoder);
        _hasChatModel = chatModel.IsConfigured;
        _localModel = chatModel.Client is { } client && KnowledgeAgent.NeedsPromptedToolCalling(client);
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        ChatCompletionRequest request;
        ChatConversation conversation;
        try
        {
            request = await ChatCompletionRequest.ReadAsync(context.Request, cancellationToken);
            conversation = ChatConversation.Read(request.Messages);
            if (conversation.Question.Length > RequestLimits.MaxTextLength)
            {
                throw new OpenAiRequestException(
                    $"the question is {conversation.Question.Length} characters; the limit is {RequestLimits.MaxTextLength}.",
                    $"messages[{conversation.QuestionIndex}].content");
            }
        }
        catch (OpenAiRequestException e)
        {
            context.Response.StatusCode = e.StatusCode;
            await context.Response.WriteAsJsonAsync(e.Body, OpenAiJson.Options, cancellationToken);
            return;
        }

        var generative = _hasChatModel && request.Model != KnowledgeBaseModels.Extractive;
        using var activity = Source.StartActivity("chat");
        activity?.SetTag("kqa.chat.model", request.Model);
        activity?.SetTag("kqa.chat.stream", request.Stream);
        activity?.SetTag("kqa.chat.earlier_turns", conversation.Earlier.Count);

        using var usage = ChatUsageScope.Begin();
        var question = await StandaloneQuestionAsync(conversation, activity, cancellationToken);
        using var answerUsage = ChatUsageScope.Begin();
        var updates = _api.AskStreamingAsync(
            new AskRequest(question),
            options => options with { Extractive = !generative, Generation = generative ? Generation(request) : null },
            cancellationToken);
        var completion = new Completion(request, generative);
        if (request.Stream)
            await StreamAsync(context, completion, updates, usage, answerUsage, cancellationToken);
        else
            await CompleteAsync(context, completion, updates, usage, answerUsage, activity, cancellationToken);
    }

    /// <summary>The question to search and answer: the last user message, rewritten to stand alone when there were earlier turns.</summary>
    private async Task<string> StandaloneQuestionAsync(ChatConversation conversation, Activity? chat, CancellationToken cancellationToken)
    {
        if (conversation.Earlier.Count == 0)
            return conversation.Question;
        using var activity = Source.StartActivity("rewrite");
        var standalone = await _rewriter.RewriteAsync(History(conversation), conversation.Question, cancellationToken);
        chat?.SetTag("kqa.chat.rewritten", !string.Equals(standalone, conversation.Question, StringComparison.Ordinal));
        return standalone;
    }

    /// <summary>The earlier exchanges as the rewriter takes them (each question as asked; the answers as the client showed them).</summary>
    private static List<ConversationTurn> History(ChatConversation conversation) => conversation.Earlier
        .Select(e => new ConversationTurn(e.Question, e.Question, new KnowledgeAnswer
        {
            Question = e.Question,
            Text = e.Answer,
            Mode = AnswerMode.Generative,
            Grounded = false,
        }))
        .ToList();

    /// <summary>
    /// The client's sampling settings for the chat model. ONNX Runtime GenAI reads a presence penalty
    /// as its repetition penalty (1 = none), so penalties only reach endpoint models.
    /// </summary>
    private ChatOptions Generation(ChatCompletionRequest request)
    {
        var options = new ChatOptions
        {
            Temperature = request.Temperature,
            TopP = request.TopP,
            MaxOutputTokens = request.MaxTokens,
            Seed = request.Seed,
            StopSequences = request.Stop.Count > 0 ? [.. request.Stop] : null,
        };
        if (!_localModel)
        {
            options.PresencePenalty = request.PresencePenalty;
            options.FrequencyPenalty = request.FrequencyPenalty;
        }
        return options;
    }

    private async Task CompleteAsync(
        HttpContext context, Completion completion, IAsyncEnumerable<AnswerUpdate> updates,
        ChatUsageScope usage, ChatUsageScope answerUsage, Activity? activity, CancellationToken cancellationToken)
    {
        KnowledgeAnswer? final = null;
        await foreach (var update in updates.WithCancellation(cancellationToken))
        {
            if (update.Answer is { } answer)
            {
                final = answer;
                break;
            }
            completion.Add(update.Text);
        }
        completion.Flush();
        if (final is null)
            throw new InvalidOperationException("the answer stream ended without a final answer");

        var result = _api.Show(final);
        var content = completion.Text.Trim() + AnswerContent.Appendix(result, completion.Cited(result));
        activity?.SetTag(AgentsTelemetry.AnswerModeTag, result.Mode);
        var body = new ChatCompletion(
            completion.Id,
            completion.Created,
            completion.Model,
            [new ChatCompletionChoice(0, new AssistantMessage(content), completion.FinishReason(final, answerUsage))],
            new ChatCompletionUsage(usage.InputTokens, usage.OutputTokens),
            KnowledgeBase(result));
        await context.Response.WriteAsJsonAsync(body, OpenAiJson.Options, cancellationToken);
    }

    private async Task StreamAsync(
        HttpContext context, Completion completion, IAsyncEnumerable<AnswerUpdate> updates,
        ChatUsageScope usage, ChatUsageScope answerUsage, CancellationToken cancellationToken)
    {
        var response = context.Response;
        await using var enumerator = updates.GetAsyncEnumerator(cancellationToken);
        // The first step runs retrieval: an error there is still an HTTP error, not a broken stream.
        var more = await enumerator.MoveNextAsync();

        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            await WriteAsync(response, completion.Chunk(new ChatCompletionDelta { Role = "assistant", Content = "" }), cancellationToken);
            KnowledgeAnswer? final = null;
            for (; more; more = await enumerator.MoveNextAsync())
            {
                if (enumerator.Current.Answer is { } answer)
                {
                    final = answer;
                    break;
                }
                if (completion.Add(enumerator.Current.Text) is { Length: > 0 } shown)
                    await WriteAsync(response, completion.Chunk(new ChatCompletionDelta { Content = shown }), cancellationToken);
            }
            if (final is null)
                throw new InvalidOperationException("the answer stream ended without a final answer");

            var result = _api.Show(final);
            var rest = completion.Flush() + AnswerContent.Appendix(result, completion.Cited(result));
            if (rest.Length > 0)
                await WriteAsync(response, completion.Chunk(new ChatCompletionDelta { Content = rest }), cancellationToken);
            await WriteAsync(response, completion.Chunk(new ChatCompletionDelta(), completion.FinishReason(final, answerUsage)) with
            {
                KnowledgeBase = KnowledgeBase(result),
            }, cancellationToken);
            if (completion.IncludeUsage)
            {
                await WriteAsync(response, new ChatCompletionChunk(completion.Id, completion.Created, completion.Model, [])
                {
                    Usage = new ChatCompletionUsage(usage.InputTokens, usage.OutputTokens),
                }, cancellationToken);
            }
            await response.WriteAsync("data: [DONE]\n\n", cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are gone: OpenAI clients read an error event and raise it instead of a truncated answer.
            LogStreamFailed(_logger, e);
            var status = e is KnowledgeQa.Retrieval.KnowledgeQaException ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status500InternalServerError;
            var message = status == StatusCodes.Status500InternalServerError ? "internal error; the server log has the details" : e.Message;
            await WriteAsync(response, OpenAiErrorBody.For(status, message), cancellationToken);
        }
    }

    private static JsonElement KnowledgeBase(AnswerResult result) => JsonSerializer.SerializeToElement(result, ServerJson.Options);

    private static async Task WriteAsync<T>(HttpResponse response, T data, CancellationToken cancellationToken)
    {
        // Unindented JSON has no raw newlines, so each event is one data line.
        await response.WriteAsync($"data: {JsonSerializer.Serialize(data, OpenAiJson.Options)}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "chat completion stream failed after the response started")]
    private static partial void LogStreamFailed(ILogger logger, Exception exception);

    /// <summary>One completion under way: its id, the text shown so far (cut at a stop sequence), and how it ended.</summary>
    private sealed class Completion(ChatCompletionRequest request, bool generative)
    {
        // A stop sequence applies to what the model writes; an extractive answer quotes the documents and stays whole.
        private readonly StopSequenceFilter? _stop = generative && request.Stop.Count > 0 ? new StopSequenceFilter(request.Stop) : null;
        private readonly StringBuilder _text = new();

        public string Id { get; } = "chatcmpl-" + Guid.NewGuid().ToString("N");
        public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        public string Model => request.Model;
        public bool IncludeUsage => request.IncludeUsage;
        public string Text => _text.ToString();

        public string Add(string piece) => Shown(_stop?.Add(piece) ?? piece);

        public string Flush() => Shown(_stop?.Flush() ?? "");

        /// <summary>The citation numbers the shown text still carries (a stop sequence may have cut some off).</summary>
        public IReadOnlyCollection<int> Cited(AnswerResult answer) =>
            _stop is { Stopped: true }
                ? CitationParser.Parse(Text, answer.Citations.Count == 0 ? 0 : answer.Citations.Max(c => c.Number)).ToHashSet()
                : answer.Citations.Select(c => c.Number).ToHashSet();

        public string FinishReason(KnowledgeAnswer answer, ChatUsageScope answerUsage)
        {
            if (!generative || answer.Refused || _stop is { Stopped: true })
                return "stop";
            var reason = answerUsage.FinishReason;
            return reason == ChatFinishReason.Length ? "length" : reason == ChatFinishReason.ContentFilter ? "content_filter" : "stop";
        }

        public ChatCompletionChunk Chunk(ChatCompletionDelta delta, string? finishReason = null) =>
            new(Id, Created, Model, [new ChatCompletionChunkChoice(0, delta, finishReason)]);

        private string Shown(string piece)
        {
            _text.Append(piece);
            return piece;
        }
    }
}

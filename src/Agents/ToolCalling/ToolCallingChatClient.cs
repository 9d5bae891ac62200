using System.Runtime.CompilerServices;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace KnowledgeQa.Agents.ToolCalling;

/// <summary>
/// Gives tool calling to a chat model that has none (ONNX Runtime GenAI's chat client ignores
/// <see cref="ChatOptions.Tools"/>). When a call offers functions, they are described in a system
/// instruction that asks for one JSON object, {"tool": name, "arguments": {...}} or
/// {"answer": text}; the reply is parsed and validated and comes back as a
/// <see cref="FunctionCallContent"/> or as the answer text. A function-invocation layer above
/// (<c>UseFunctionInvocation()</c>, or Semantic Kernel's <c>UseKernelFunctionInvocation()</c>) runs
/// the function and calls again with the result, which is shown to the model as a text turn.
/// On ONNX Runtime GenAI the reply is also constrained by guided decoding to the JSON schema of
/// exactly those choices (see <see cref="ToolReplyConstraint"/>).
/// </summary>
/// <remarks>
/// Put it below the function-invocation layer: <c>builder.UseFunctionInvocation().UsePromptedToolCalling()</c>
/// (the first Use is the outermost). One tool call per turn. A constrained reply cannot be
/// streamed piecemeal, so streaming with tools offered yields the whole reply at once.
/// </remarks>
public sealed partial class ToolCallingChatClient : DelegatingChatClient
{
    private readonly ILogger _logger;
    private readonly bool _constrain;

    /// <exception cref="InvalidOptionException"><see cref="PromptedToolCallingOptions.MaxCorrections"/> is negative.</exception>
    public ToolCallingChatClient(IChatClient innerClient, PromptedToolCallingOptions? options = null, ILogger? logger = null)
        : base(innerClient)
    {
        Options = options ?? new PromptedToolCallingOptions();
        if (Options.MaxCorrections < 0)
        {
            throw new InvalidOptionException(
                $"PromptedToolCallingOptions.MaxCorrections is {Options.MaxCorrections}; it must be 0 or more.");
        }

        _logger = logger ?? NullLogger.Instance;
        _constrain = Options.Constraint switch
        {
            ToolReplyConstraint.JsonSchema => true,
            ToolReplyConstraint.None => false,
            _ => innerClient.GetService(typeof(OnnxRuntimeGenAIChatClient)) is not null,
        };
    }

    public PromptedToolCallingOptions Options { get; }

    /// <summary>Whether replies are constrained to the JSON schema (decided once, from the options and the inner client).</summary>
    public bool ConstrainsReplies => _constrain;

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var offer = ToolOffer.From(options);
        if (offer is null)
        {
            return await base.GetResponseAsync(PlainHistory(messages), options, cancellationToken).ConfigureAwait(false);
        }

        var prompt = Prompt(messages, options!, offer);
        var innerOptions = InnerOptions(options!, offer);
        UsageDetails? usage = null;
        for (var attempt = 0; ; attempt++)
        {
            var response = await base.GetResponseAsync(prompt, innerOptions, cancellationToken).ConfigureAwait(false);
            usage = Add(usage, response.Usage);
            var text = response.Text;
            switch (ToolReplyParser.Parse(text, offer))
            {
                case ToolReply.Call call:
                    LogCall(_logger, call.Name, attempt);
                    return Respond(response, new FunctionCallContent(NewCallId(), call.Name, call.Arguments), ChatFinishReason.ToolCalls, usage);
                case ToolReply.Answer answer:
                    return Respond(response, new TextContent(answer.Text), response.FinishReason ?? ChatFinishReason.Stop, usage);
                case ToolReply.Unusable unusable when attempt < Options.MaxCorrections:
                    LogCorrection(_logger, unusable.Problem, attempt + 1);
                    prompt = [.. prompt, new ChatMessage(ChatRole.Assistant, text), new ChatMessage(ChatRole.User, ToolInstructions.Correction(offer, unusable.Problem))];
                    break;
                case ToolReply.Unusable unusable:
                    // Better the model's own words than nothing: a weak model that ignores the format
                    // often still answers in prose.
                    LogGaveUp(_logger, unusable.Problem, attempt + 1);
                    return Respond(response, new TextContent(text), response.FinishReason ?? ChatFinishReason.Stop, usage);
            }
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (ToolOffer.From(options) is null)
        {
            await foreach (var update in base.GetStreamingResponseAsync(PlainHistory(messages), options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        // Whether the reply is a call or an answer is known only once it is complete.
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <summary>The messages untouched unless they hold calls or results the inner client would drop.</summary>
    private static IEnumerable<ChatMessage> PlainHistory(IEnumerable<ChatMessage> messages) =>
        ToolTranscript.HasToolContent(messages) ? ToolTranscript.ToPlainText(messages) : messages;

    /// <summary>
    /// The history as text with the tool instruction in the system message. It joins the first
    /// system message (and <see cref="ChatOptions.Instructions"/>, which the GenAI client ignores)
    /// because many chat templates accept a single system message at the start only.
    /// </summary>
    private static List<ChatMessage> Prompt(IEnumerable<ChatMessage> messages, ChatOptions options, ToolOffer offer)
    {
        var history = ToolTranscript.ToPlainText(messages);
        var system = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Instructions))
        {
            system.Add(options.Instructions.Trim());
        }

        if (history.Count > 0 && history[0].Role == ChatRole.System)
        {
            if (!string.IsNullOrWhiteSpace(history[0].Text))
            {
                system.Add(history[0].Text.Trim());
            }

            history.RemoveAt(0);
        }

        system.Add(ToolInstructions.System(offer));
        history.Insert(0, new ChatMessage(ChatRole.System, string.Join("\n\n", system)));
        return history;
    }

    private ChatOptions InnerOptions(ChatOptions options, ToolOffer offer)
    {
        var inner = options.Clone();
        inner.Tools = null;
        inner.ToolMode = null;
        inner.AllowMultipleToolCalls = null;
        inner.Instructions = null;
        // Each turn re-renders the whole transcript (with the instruction), so state kept by the
        // inner client under a conversation id would hold the wrong prompt.
        inner.ConversationId = null;
        if (_constrain)
        {
            inner.ResponseFormat = ChatResponseFormat.ForJsonSchema(
                ToolReplySchema.For(offer), "tool_call_or_answer", "One tool call or the final answer.");
        }

        return inner;
    }

    private static ChatResponse Respond(ChatResponse inner, AIContent content, ChatFinishReason finishReason, UsageDetails? usage)
    {
        var message = new ChatMessage(ChatRole.Assistant, [content])
        {
            MessageId = inner.Messages.LastOrDefault()?.MessageId,
        };
        return new ChatResponse(message)
        {
            ResponseId = inner.ResponseId,
            ModelId = inner.ModelId,
            CreatedAt = inner.CreatedAt,
            FinishReason = finishReason,
            Usage = usage,
            RawRepresentation = inner,
        };
    }

    private static UsageDetails? Add(UsageDetails? total, UsageDetails? more)
    {
        if (more is null)
        {
            return total;
        }

        total ??= new UsageDetails();
        total.Add(more);
        return total;
    }

    private static string NewCallId() => "call_" + Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Debug, Message = "The model called {Tool} (after {Corrections} corrections).")]
    private static partial void LogCall(ILogger logger, string tool, int corrections);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Unusable tool reply, correction {Attempt}: {Problem}")]
    private static partial void LogCorrection(ILogger logger, string problem, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No usable tool call or answer after {Attempts} replies ({Problem}); returning the raw text as the answer.")]
    private static partial void LogGaveUp(ILogger logger, string problem, int attempts);
}

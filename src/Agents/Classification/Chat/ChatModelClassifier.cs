using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

public sealed class ChatClassifierOptions
{
    /// <summary>Reply budget: a label and little else.</summary>
    public int MaxOutputTokens { get; set; } = 24;

    /// <summary>Ask once more, more strictly, when the first reply names no label.</summary>
    public bool RetryOnce { get; set; } = true;
}

/// <summary>
/// Classifies with a chat model over any <see cref="IChatClient"/> (endpoints without constrained
/// decoding): the prompt lists the labels, the reply must name one exactly (after normalisation), a
/// reply that does not is answered with a stricter instruction once, and if that fails too the
/// embedding classifier given as fallback decides. A chat answer has no probabilities, so its scores
/// put 1 on the label chosen. For local ONNX Runtime GenAI models, <see cref="GuidedGenAIClassifier"/>
/// makes an invalid answer impossible instead.
/// </summary>
public sealed class ChatModelClassifier : ITextClassifier
{
    private readonly IChatClient _chat;
    private readonly IReadOnlyList<LabelDefinition> _labels;
    private readonly ITextClassifier? _fallback;
    private readonly ChatClassifierOptions _options;

    public ChatModelClassifier(IChatClient chat, IEnumerable<LabelDefinition> labels, ITextClassifier? fallback = null, ChatClassifierOptions? options = null)
    {
        _chat = chat ?? throw new ArgumentNullException(nameof(chat));
        _labels = LabelDefinition.Validate(labels);
        Labels = _labels.Select(l => l.Name).ToArray();
        _options = options ?? new ChatClassifierOptions();
        if (fallback is not null && !fallback.Labels.Order(StringComparer.Ordinal).SequenceEqual(Labels.Order(StringComparer.Ordinal), StringComparer.Ordinal))
            throw new ClassificationException(
                $"The fallback classifier's labels ({string.Join(", ", fallback.Labels)}) differ from the chat classifier's ({string.Join(", ", Labels)}).");
        _fallback = fallback;
    }

    public IReadOnlyList<string> Labels { get; }

    public async Task<ClassificationResult> ClassifyAsync(string text, CancellationToken cancellationToken = default)
    {
        var messages = ClassificationPrompt.Build(_labels, text).ToList();
        var chatOptions = new ChatOptions { Temperature = 0, MaxOutputTokens = _options.MaxOutputTokens };
        var replies = new List<string>();
        for (var attempt = 0; attempt < (_options.RetryOnce ? 2 : 1); attempt++)
        {
            var response = await _chat.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
            var reply = response.Text ?? "";
            if (ClassificationPrompt.MatchLabel(reply, Labels) is { } label)
                return OneHot(label) with { Source = attempt == 0 ? "chat" : "chat-retry" };
            replies.Add(reply);
            messages.Add(new ChatMessage(ChatRole.Assistant, reply));
            messages.Add(ClassificationPrompt.Stricter(_labels, reply));
        }

        if (_fallback is not null)
            return (await _fallback.ClassifyAsync(text, cancellationToken).ConfigureAwait(false)) with { Source = "fallback" };
        throw new ClassificationException(
            $"The chat model did not answer with a label ({string.Join(", ", Labels)}); it replied: " +
            string.Join(" / ", replies.Select(r => $"\"{r.Trim()}\"")) + ". Give the classifier a fallback, or use a model that follows instructions.");
    }

    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var results = new ClassificationResult[texts.Count];
        for (var i = 0; i < texts.Count; i++) results[i] = await ClassifyAsync(texts[i], cancellationToken).ConfigureAwait(false);
        return results;
    }

    private ClassificationResult OneHot(string label)
        => new(label, Labels.ToDictionary(l => l, l => l == label ? 1.0 : 0.0, StringComparer.Ordinal));
}

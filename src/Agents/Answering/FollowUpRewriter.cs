using System.Text;
using System.Text.RegularExpressions;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Answering;

/// <summary>One question and answer of a conversation.</summary>
/// <param name="Question">As the user asked it.</param>
/// <param name="StandaloneQuestion">The question rewritten to stand alone, as it was retrieved and answered.</param>
public sealed record ConversationTurn(string Question, string StandaloneQuestion, KnowledgeAnswer Answer);

/// <summary>
/// Turns a follow-up question ("and how long does it take?") into one that can be retrieved on its
/// own. With a chat model it asks the model; without one (or when the model's rewrite is unusable)
/// it prepends the key terms of the previous question to a question that refers back to it.
/// </summary>
public sealed partial class FollowUpRewriter(IChatClient? chatClient, ILexicalEncoder lexicalEncoder)
{
    private const int TurnsShown = 3;
    private const int AnswerCharsShown = 400;
    private const int KeyTermsCarried = 4;

    private readonly ContentTerms _terms = new(lexicalEncoder);

    // Words that point back at something said before.
    [GeneratedRegex(@"\b(it|its|they|them|their|this|that|these|those|he|she|him|her|his|hers|there|then|one|ones|same|also|else|other)\b|[它他她其该該此这這那]|上述|前者|後者|后者",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RefersBack();

    [GeneratedRegex(@"^\s*(standalone question|rewritten question|question|独立问题|獨立問題|问题|問題)\s*[:：]\s*", RegexOptions.IgnoreCase)]
    private static partial Regex LeadingLabel();

    public async Task<string> RewriteAsync(IReadOnlyList<ConversationTurn> history, string question, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        if (history.Count == 0)
        {
            return question;
        }

        if (chatClient is not null)
        {
            var rewritten = await RewriteWithModelAsync(chatClient, history, question, cancellationToken).ConfigureAwait(false);
            if (rewritten is not null)
            {
                return rewritten;
            }
        }

        return RewriteWithTerms(history[^1].StandaloneQuestion, question);
    }

    /// <summary>Without a model: carry over the previous question's key terms when the question seems to refer back.</summary>
    public string RewriteWithTerms(string previousQuestion, string question)
    {
        var current = _terms.Of(question);
        if (!RefersBack().IsMatch(question) && current.Count > 2)
        {
            return question;
        }

        var currentSet = current.ToHashSet(StringComparer.Ordinal);
        var carried = KeyWords(previousQuestion).Where(w => _terms.Of(w).All(t => !currentSet.Contains(t))).Take(KeyTermsCarried).ToList();
        if (carried.Count == 0)
        {
            return question;
        }

        var separator = ScriptDetector.IsMostlyCjk(previousQuestion) ? "" : " ";
        return string.Join(separator, carried) + " " + question;
    }

    /// <summary>The previous question's content words as written (not stemmed), so the retriever can re-encode them.</summary>
    private IEnumerable<string> KeyWords(string text)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match word in WordOrCjkRun().Matches(text))
        {
            if (ScriptDetector.IsCjk(word.Value[0]))
            {
                // The encoder segments CJK text into words; those that appear verbatim are words as
                // written (other terms, such as marked bigrams, are index features, not text).
                foreach (var term in _terms.Of(word.Value))
                {
                    if (word.Value.Contains(term, StringComparison.Ordinal) && seen.Add(term))
                    {
                        yield return term;
                    }
                }
            }
            else if (_terms.Of(word.Value).Count > 0 && seen.Add(word.Value))
            {
                yield return word.Value;
            }
        }
    }

    [GeneratedRegex(@"[\p{IsCJKUnifiedIdeographs}\p{IsHiragana}\p{IsKatakana}\p{IsHangulSyllables}]+|[\p{L}\p{Nd}][\p{L}\p{Nd}'\-]*")]
    private static partial Regex WordOrCjkRun();

    private static async Task<string?> RewriteWithModelAsync(
        IChatClient chat, IReadOnlyList<ConversationTurn> history, string question, CancellationToken cancellationToken)
    {
        var conversation = new StringBuilder();
        foreach (var turn in history.TakeLast(TurnsShown))
        {
            var answer = turn.Answer.Text.Length > AnswerCharsShown ? turn.Answer.Text[..AnswerCharsShown] + " …" : turn.Answer.Text;
            conversation.Append("User: ").AppendLine(turn.StandaloneQuestion).Append("Assistant: ").AppendLine(answer);
        }

        ChatMessage[] messages =
        [
            new(ChatRole.System,
                "Rewrite the user's follow-up question so that it can be understood without the conversation: " +
                "replace pronouns and references with what they refer to. Keep the question's language and meaning. " +
                "Reply with the rewritten question only."),
            new(ChatRole.User, $"Conversation:\n{conversation}\nFollow-up question: {question}\nStandalone question:"),
        ];
        var response = await chat.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 128 }, cancellationToken).ConfigureAwait(false);
        var line = response.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (line is null)
        {
            return null;
        }

        line = LeadingLabel().Replace(line, "").Trim().Trim('"', '“', '”', '「', '」');
        // A rewrite far longer than the question and its context is the model rambling, not a question.
        var plausible = line.Length > 0 && line.Length <= question.Length + history[^1].StandaloneQuestion.Length + 80;
        return plausible ? line : null;
    }
}

using System.Text;
using System.Text.RegularExpressions;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Answering;

/// <summary>One question and answer of a conversation.</summary>
/// <param name="Question">As the user asked it.</param>
/// <param name="StandaloneQuestion">The question rewritten to stand alone, as it was retrieved and answered.</param>
public sealed record ConversationTurn(string Question, string StandaloneQuestion, KnowledgeAnswer Answer)
{
    /// <summary>A turn known only by its text (the HTTP API's history): question and answer as sent.</summary>
    public static ConversationTurn FromText(string question, string answer) => new(question, question, new KnowledgeAnswer
    {
        Question = question,
        Text = answer,
        Mode = AnswerMode.Generative,
        Grounded = false,
    });
}

/// <summary>
/// Turns a follow-up question ("and how long does it take?") into one that can be retrieved on its
/// own. With a chat model it asks the model; without one (or when the model's rewrite is unusable)
/// it puts the previous question's topic in front of a question that refers back to it. When the
/// follow-up brings its own subject ("What about the warranty on it?"), the previous question's
/// own ask ("how long", "take") is left behind, so the new question keeps its topic.
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

    // "What about ...?", "And ...?", "那…呢": elliptical follow-ups that lean on the previous question.
    [GeneratedRegex(@"^\s*(what about|how about|and|also|那|还有|還有|另外)\b|[呢]\s*[？?]?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Elliptical();

    // Words that carry what the previous question asked rather than what it was about: its
    // interrogative attribute ("how long", "how much") and its light verbs. A follow-up with a
    // subject of its own replaces them.
    private static readonly HashSet<string> AskWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "long", "many", "much", "old", "far", "big", "large", "tall", "high", "often", "soon", "time", "year", "years",
        "take", "takes", "took", "need", "needs", "cost", "costs", "mean", "means", "get", "gets", "make", "makes", "do", "does",
        "work", "works", "happen", "happens", "last", "lasts", "use", "used", "say", "says", "tell", "find", "know",
        "多久", "多长", "多長", "多少", "需要", "要", "什么", "什麼", "怎么", "怎麼", "如何", "几", "幾", "时间", "時間",
    };

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

    /// <summary>Without a model: carry over the previous question's topic when the question seems to refer back.</summary>
    public string RewriteWithTerms(string previousQuestion, string question)
    {
        var current = _terms.Of(question);
        if (!RefersBack().IsMatch(question) && !Elliptical().IsMatch(question) && current.Count > 2)
        {
            return question;
        }

        var currentSet = current.ToHashSet(StringComparer.Ordinal);
        var previousTerms = _terms.Of(previousQuestion).ToHashSet(StringComparer.Ordinal);
        // The follow-up names a subject the previous question did not: it keeps that subject, and takes over only what was talked about.
        var ownSubject = current.Any(t => !previousTerms.Contains(t));
        var carried = KeyWords(previousQuestion)
            .Where(w => _terms.Of(w).All(t => !currentSet.Contains(t)))
            .Where(w => !ownSubject || !AskWords.Contains(w))
            .Take(KeyTermsCarried)
            .ToList();
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
                // Terms are folded to Simplified characters; find each in the folded run and give it back as written.
                var folded = ChineseScriptFolding.ToSimplified(word.Value);
                foreach (var term in _terms.Of(word.Value))
                {
                    var at = folded.IndexOf(term, StringComparison.Ordinal);
                    if (at >= 0 && folded.Length == word.Value.Length && seen.Add(term))
                    {
                        yield return word.Value.Substring(at, term.Length);
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

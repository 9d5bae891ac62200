using System.Runtime.CompilerServices;
using KnowledgeQa.Retrieval.Lexical;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// A multi-turn conversation with the knowledge base (`kqa chat`): each question is rewritten to
/// stand alone using the earlier turns, then answered by the <see cref="GroundedAnswerer"/>.
/// Not thread-safe: one question at a time.
/// </summary>
public sealed class ConversationSession
{
    private readonly GroundedAnswerer _answerer;
    private readonly FollowUpRewriter _rewriter;
    private readonly List<ConversationTurn> _turns = [];

    /// <param name="chatClient">Rewrites follow-ups; null rewrites them by carrying key terms over.</param>
    public ConversationSession(GroundedAnswerer answerer, IChatClient? chatClient, ILexicalEncoder lexicalEncoder)
    {
        ArgumentNullException.ThrowIfNull(answerer);
        _answerer = answerer;
        _rewriter = new FollowUpRewriter(chatClient, lexicalEncoder);
    }

    public IReadOnlyList<ConversationTurn> Turns => _turns;

    /// <summary>Streams the answer like <see cref="GroundedAnswerer.AskStreamingAsync"/> and records the turn.</summary>
    public async IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(
        string question, AskOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var standalone = await _rewriter.RewriteAsync(_turns, question, cancellationToken).ConfigureAwait(false);
        await foreach (var update in _answerer.AskStreamingAsync(standalone, options, cancellationToken).ConfigureAwait(false))
        {
            if (update.Answer is { } answer)
            {
                _turns.Add(new ConversationTurn(question, standalone, answer));
            }

            yield return update;
        }
    }

    public async Task<KnowledgeAnswer> AskAsync(string question, AskOptions? options = null, CancellationToken cancellationToken = default)
    {
        KnowledgeAnswer? answer = null;
        await foreach (var update in AskStreamingAsync(question, options, cancellationToken).ConfigureAwait(false))
        {
            answer = update.Answer ?? answer;
        }

        return answer!;
    }

    /// <summary>Forgets the conversation.</summary>
    public void Clear() => _turns.Clear();
}

namespace KnowledgeQa.Server.OpenAi;

/// <summary>One earlier exchange of the conversation: what the user asked and what the assistant answered.</summary>
public sealed record ChatExchange(string Question, string Answer);

/// <summary>
/// The conversation a chat client sent, as the knowledge base answers it: the last user message is
/// the question, the earlier user and assistant messages are its context (oldest first). System,
/// developer and tool messages carry no question or answer and are left out: the knowledge base
/// keeps its own grounding instructions.
/// </summary>
public sealed record ChatConversation(string Question, int QuestionIndex, IReadOnlyList<ChatExchange> Earlier)
{
    public static ChatConversation Read(IReadOnlyList<ChatTurnMessage> messages)
    {
        var last = -1;
        for (var i = messages.Count - 1; i >= 0 && last < 0; i--)
        {
            if (messages[i].Role is not ("system" or "developer"))
                last = i;
        }
        if (last < 0 || messages[last].Role != "user")
        {
            throw new OpenAiRequestException(
                "the conversation must end with a user message: the question the knowledge base answers.", "messages");
        }

        var question = messages[last].Text.Trim();
        if (question.Length == 0)
            throw new OpenAiRequestException($"'messages[{last}].content' has no text to answer.", $"messages[{last}].content");

        var earlier = new List<ChatExchange>();
        string? asked = null;
        foreach (var message in messages.Take(last))
        {
            switch (message.Role)
            {
                case "user":
                    if (asked is not null)
                        earlier.Add(new ChatExchange(asked, ""));
                    asked = message.Text.Trim();
                    break;
                case "assistant" when asked is not null:
                    earlier.Add(new ChatExchange(asked, AnswerContent.WithoutAppendix(message.Text)));
                    asked = null;
                    break;
            }
        }
        if (asked is not null)
            earlier.Add(new ChatExchange(asked, ""));
        return new ChatConversation(question, last, earlier.Where(e => e.Question.Length > 0).ToList());
    }
}

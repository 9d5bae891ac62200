using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Tests.Fakes;
using Microsoft.Extensions.AI;
using static KnowledgeQa.Agents.Tests.Fakes.FakeRetriever;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>Follow-up questions are rewritten to stand alone before retrieval.</summary>
public class ConversationSessionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Retrieval.Storage.SearchHit France = Hit("france.md",
        "Paris is the capital of France. France has a population of about 68 million people.", dense: 0.8);

    [Fact]
    public async Task With_a_chat_model_the_follow_up_is_rewritten_by_the_model_before_retrieval()
    {
        var retriever = new FakeRetriever(France);
        var chat = new ScriptedChatClient(
            "Paris is the capital [1].",
            "Standalone question: What is the population of France?",
            "About 68 million [1].");
        var session = new ConversationSession(new GroundedAnswerer(retriever, chat, new SimpleLexicalEncoder()), chat, new SimpleLexicalEncoder());

        await session.AskAsync("What is the capital of France?", cancellationToken: Ct);
        var answer = await session.AskAsync("And how many people live there?", cancellationToken: Ct);

        Assert.Equal(["What is the capital of France?", "What is the population of France?"], retriever.Queries.Select(q => q.Query));
        var rewritePrompt = chat.Calls[1].Messages.Last().Text;
        Assert.Contains("What is the capital of France?", rewritePrompt);
        Assert.Contains("Paris is the capital [1].", rewritePrompt);
        Assert.Contains("And how many people live there?", rewritePrompt);
        Assert.Equal(2, session.Turns.Count);
        Assert.Equal("And how many people live there?", session.Turns[1].Question);
        Assert.Equal("What is the population of France?", session.Turns[1].StandaloneQuestion);
        Assert.Equal("About 68 million [1].", answer.Text);
    }

    [Fact]
    public async Task Without_a_chat_model_the_previous_key_terms_are_carried_into_a_follow_up()
    {
        var retriever = new FakeRetriever(France);
        var session = new ConversationSession(new GroundedAnswerer(retriever, null, new SimpleLexicalEncoder()), null, new SimpleLexicalEncoder());

        await session.AskAsync("What is the capital of France?", cancellationToken: Ct);
        await session.AskAsync("What is its population?", cancellationToken: Ct);

        var followUp = retriever.Queries[1].Query;
        Assert.EndsWith("What is its population?", followUp);
        Assert.Contains("France", followUp);
        Assert.Contains("capital", followUp);
    }

    [Fact]
    public async Task A_question_that_stands_on_its_own_is_left_alone()
    {
        var retriever = new FakeRetriever(France);
        var session = new ConversationSession(new GroundedAnswerer(retriever, null, new SimpleLexicalEncoder()), null, new SimpleLexicalEncoder());

        await session.AskAsync("What is the capital of France?", cancellationToken: Ct);
        await session.AskAsync("How many people live in France today?", cancellationToken: Ct);

        Assert.Equal("How many people live in France today?", retriever.Queries[1].Query);
    }

    [Fact]
    public void A_chinese_follow_up_carries_the_previous_chinese_terms()
    {
        var rewriter = new FollowUpRewriter(null, new SimpleLexicalEncoder());

        var rewritten = rewriter.RewriteWithTerms("铁塔在哪里？", "它有多高？");

        Assert.Equal("铁塔 它有多高？", rewritten);
    }

    [Fact]
    public async Task An_unusable_model_rewrite_falls_back_to_carrying_terms()
    {
        var chat = new ScriptedChatClient(string.Join(" ", Enumerable.Repeat("blah", 200)));
        var rewriter = new FollowUpRewriter(chat, new SimpleLexicalEncoder());
        var previous = new KnowledgeAnswer { Question = "What is the capital of France?", Text = "Paris [1].", Mode = AnswerMode.Generative, Grounded = true };

        var rewritten = await rewriter.RewriteAsync(
            [new ConversationTurn(previous.Question, previous.Question, previous)], "What is its population?", Ct);

        Assert.Single(chat.Calls);
        Assert.Contains("France", rewritten);
        Assert.EndsWith("What is its population?", rewritten);
    }

    [Fact]
    public async Task The_first_question_is_not_rewritten_and_clear_forgets_the_conversation()
    {
        var retriever = new FakeRetriever(France);
        var chat = new ScriptedChatClient("Paris [1].", "Paris [1].");
        var session = new ConversationSession(new GroundedAnswerer(retriever, chat, new SimpleLexicalEncoder()), chat, new SimpleLexicalEncoder());

        await session.AskAsync("What is the capital of France?", cancellationToken: Ct);
        session.Clear();
        await session.AskAsync("What is its capital?", cancellationToken: Ct);

        Assert.Equal(2, chat.Calls.Count); // two answers, no rewrite call
        Assert.Equal("What is its capital?", retriever.Queries[1].Query);
        Assert.Single(session.Turns);
        Assert.All(chat.Calls, c => Assert.DoesNotContain(c.Messages, m => m.Role == ChatRole.System && m.Text.StartsWith("Rewrite", StringComparison.Ordinal)));
    }
}

using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;
using static KnowledgeQa.Agents.Tests.Fakes.FakeRetriever;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>Orchestration of generated answers, with a fake retriever and a scripted chat model.</summary>
public class GroundedAnswererTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly SearchHit Router = Hit("router.md",
        "To reset the router, hold the reset button on the back for ten seconds until the lights blink.",
        dense: 0.71, title: "Router manual", headings: ["Troubleshooting", "Reset"], page: 12);
    private static readonly SearchHit Warranty = Hit("warranty.md",
        "The router warranty lasts two years from the date of purchase.", dense: 0.52);
    private static readonly SearchHit Cables = Hit("cables.md",
        "Use the yellow cable to connect the router to the modem.", dense: 0.48);

    private static GroundedAnswerer Answerer(FakeRetriever retriever, IChatClient? chat, AnswerOptions? options = null) =>
        new(retriever, chat, new SimpleLexicalEncoder(), options);

    private static string UserMessage(ScriptedChatClient chat) => chat.Calls.Single().Messages.Single(m => m.Role == ChatRole.User).Text;

    private static string SystemMessage(ScriptedChatClient chat) => chat.Calls.Single().Messages.Single(m => m.Role == ChatRole.System).Text;

    [Fact]
    public async Task The_prompt_numbers_the_passages_with_their_sources_and_ends_with_the_question()
    {
        var chat = new ScriptedChatClient("Hold the reset button for ten seconds [1].");
        var answerer = Answerer(new FakeRetriever(Router, Warranty, Cables), chat);

        await answerer.AskAsync("How do I reset the router?", cancellationToken: Ct);

        var user = UserMessage(chat);
        Assert.Contains("[1] (source: docs/router.md · Router manual > Troubleshooting > Reset · page 12)", user);
        Assert.Contains("[2] (source: docs/warranty.md)", user);
        Assert.Contains("[3] (source: docs/cables.md)", user);
        Assert.True(user.IndexOf("[1]", StringComparison.Ordinal) < user.IndexOf("[2]", StringComparison.Ordinal));
        Assert.True(user.IndexOf("[2]", StringComparison.Ordinal) < user.IndexOf("[3]", StringComparison.Ordinal));
        Assert.Contains(Router.Chunk.Text, user);
        Assert.EndsWith("Question: How do I reset the router?", user);
        Assert.Equal(AnswerTexts.English.Instructions, SystemMessage(chat));
        Assert.Contains("only the numbered passages", SystemMessage(chat));
    }

    [Fact]
    public async Task Citations_are_the_markers_the_answer_uses_mapped_to_their_passages()
    {
        var chat = new ScriptedChatClient("Hold the button for ten seconds [1]. The warranty covers two years ［2］. See also [9].");
        var answerer = Answerer(new FakeRetriever(Router, Warranty, Cables), chat);

        var answer = await answerer.AskAsync("How do I reset the router and how long is the warranty?", cancellationToken: Ct);

        Assert.Equal(AnswerMode.Generative, answer.Mode);
        Assert.True(answer.Grounded);
        Assert.False(answer.Refused);
        Assert.Equal([1, 2], answer.Citations.Select(c => c.Number));
        var first = answer.Citations[0];
        Assert.Equal("router.md", first.DocumentId);
        Assert.Equal("docs/router.md", first.Source);
        Assert.Equal(Router.Chunk.Text, first.Text);
        Assert.Equal(12, first.Page);
        Assert.Equal(["Troubleshooting", "Reset"], first.Headings);
        Assert.Equal("warranty.md", answer.Citations[1].DocumentId);
        // The cables passage was in the prompt but is not cited.
        Assert.Equal(3, answer.Passages.Count);
        Assert.DoesNotContain(answer.Citations, c => c.DocumentId == "cables.md");
        Assert.Null(answer.Label);
    }

    [Fact]
    public async Task An_answer_that_cites_nothing_is_not_grounded()
    {
        var chat = new ScriptedChatClient("Just unplug it.");
        var answer = await Answerer(new FakeRetriever(Router), chat).AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.False(answer.Grounded);
        Assert.Empty(answer.Citations);
        Assert.Equal("Just unplug it.", answer.Text);
    }

    [Fact]
    public async Task Streaming_yields_several_text_updates_then_one_final_answer()
    {
        var reply = "Hold the reset button on the back for ten seconds [1].";
        var answerer = Answerer(new FakeRetriever(Router), new ScriptedChatClient(reply));

        var updates = new List<AnswerUpdate>();
        await foreach (var update in answerer.AskStreamingAsync("How do I reset the router?", cancellationToken: Ct))
        {
            updates.Add(update);
        }

        Assert.True(updates.Count > 3);
        Assert.All(updates[..^1], u => Assert.False(u.IsFinal));
        var final = updates[^1];
        Assert.True(final.IsFinal);
        Assert.Equal(reply, string.Concat(updates[..^1].Select(u => u.Text)));
        Assert.Equal(reply, final.Answer!.Text);
    }

    [Fact]
    public async Task Nothing_relevant_means_a_refusal_without_calling_the_model()
    {
        var chat = new ScriptedChatClient("should never be used");
        var unrelated = Hit("recipes.md", "Whisk the eggs with sugar until pale.", dense: 0.12);
        var answerer = Answerer(new FakeRetriever(unrelated), chat);

        var answer = await answerer.AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.Empty(chat.Calls);
        Assert.True(answer.Refused);
        Assert.False(answer.Grounded);
        Assert.Equal(AnswerTexts.English.Refusal, answer.Text);
        Assert.Contains("does not contain", answer.Text);
        Assert.Empty(answer.Citations);
        Assert.Empty(answer.Passages);
        Assert.Equal(AnswerMode.Generative, answer.Mode);
    }

    [Fact]
    public async Task An_empty_knowledge_base_gives_a_refusal()
    {
        var chat = new ScriptedChatClient();
        var answer = await Answerer(new FakeRetriever(), chat).AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.True(answer.Refused);
        Assert.Empty(chat.Calls);
    }

    [Fact]
    public async Task A_passage_with_most_question_terms_is_relevant_even_with_a_low_dense_score()
    {
        var lowDense = Hit("router.md", "To reset the router, hold the reset button for ten seconds.", dense: 0.05);
        var chat = new ScriptedChatClient("Hold it [1].");

        var answer = await Answerer(new FakeRetriever(lowDense), chat).AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.False(answer.Refused);
        Assert.Single(chat.Calls);
    }

    [Fact]
    public async Task Only_relevant_passages_go_into_the_prompt()
    {
        var unrelated = Hit("recipes.md", "Whisk the eggs with sugar until pale.", dense: 0.12);
        var chat = new ScriptedChatClient("Hold it [1].");

        var answer = await Answerer(new FakeRetriever(unrelated, Router), chat).AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.Equal([Router], answer.Passages);
        Assert.DoesNotContain("eggs", UserMessage(chat));
    }

    [Fact]
    public async Task A_chinese_question_gets_chinese_instructions()
    {
        var passage = Hit("router-zh.md", "重置路由器时，请按住背面的重置按钮十秒钟，直到指示灯闪烁。");
        var chat = new ScriptedChatClient("按住重置按钮十秒钟[1]。");

        var answer = await Answerer(new FakeRetriever(passage), chat).AskAsync("怎么重置路由器？", cancellationToken: Ct);

        Assert.Equal(QuestionLanguage.ChineseSimplified, answer.Language);
        Assert.Equal(AnswerTexts.ChineseSimplified.Instructions, SystemMessage(chat));
        Assert.Contains("请用简体中文回答", SystemMessage(chat));
        Assert.Contains("问题： 怎么重置路由器？", UserMessage(chat));
        Assert.Contains("[1] (来源: docs/router-zh.md)", UserMessage(chat));
        Assert.Equal([1], answer.Citations.Select(c => c.Number));
    }

    [Fact]
    public async Task A_traditional_chinese_question_gets_traditional_instructions()
    {
        var passage = Hit("router-zh.md", "重設路由器時，請按住背面的重設按鈕十秒鐘，直到指示燈閃爍。");
        var chat = new ScriptedChatClient("按住重設按鈕十秒鐘[1]。");

        var answer = await Answerer(new FakeRetriever(passage), chat).AskAsync("如何重設路由器？", cancellationToken: Ct);

        Assert.Equal(QuestionLanguage.ChineseTraditional, answer.Language);
        Assert.Contains("請用繁體中文回答", SystemMessage(chat));
    }

    [Theory]
    [InlineData("知识库里有关于火星殖民的计划吗？", QuestionLanguage.ChineseSimplified, "知识库中没有找到这个问题的答案。")]
    [InlineData("知識庫裡有關於火星殖民的計劃嗎？", QuestionLanguage.ChineseTraditional, "知識庫中沒有找到這個問題的答案。")]
    public async Task A_chinese_question_is_refused_in_chinese(string question, QuestionLanguage language, string refusal)
    {
        var chat = new ScriptedChatClient();
        // A high dense score means nothing for Chinese with the default (English) embedding model.
        var unrelated = Hit("router-zh.md", "重置路由器时，请按住背面的重置按钮十秒钟。", dense: 0.9);

        var answer = await Answerer(new FakeRetriever(unrelated), chat).AskAsync(question, cancellationToken: Ct);

        Assert.True(answer.Refused);
        Assert.Equal(language, answer.Language);
        Assert.Equal(refusal, answer.Text);
        Assert.Empty(chat.Calls);
    }

    [Fact]
    public async Task Dense_scores_count_for_chinese_when_the_embedding_model_is_multilingual()
    {
        var chat = new ScriptedChatClient("不知道[1]。");
        var paraphrase = Hit("router-zh.md", "设备恢复出厂设置的方法见背面标签。", dense: 0.9);
        var options = new AnswerOptions { UseDenseScoreForCjk = true };

        var answer = await Answerer(new FakeRetriever(paraphrase), chat, options).AskAsync("怎么重置路由器？", cancellationToken: Ct);

        Assert.False(answer.Refused);
        Assert.Single(chat.Calls);
    }

    [Fact]
    public async Task A_small_window_drops_the_lowest_ranked_passages_and_keeps_the_question()
    {
        var filler = string.Join(" ", Enumerable.Repeat("The router has status lights that show power and signal.", 12));
        SearchHit[] hits = [Hit("a.md", "router reset one. " + filler, dense: 0.9), Hit("b.md", "router reset two. " + filler, dense: 0.8),
            Hit("c.md", "router reset three. " + filler, dense: 0.7)];
        var counter = new ApproximateTokenCounter(1000);
        var chat = new ScriptedChatClient("Reset it [1].") { Limits = new ChatModelLimits(700, 100), TokenCounter = counter };
        var question = "How do I reset the router when the status lights keep blinking after a firmware update?";

        var answer = await Answerer(new FakeRetriever(hits), chat).AskAsync(question, cancellationToken: Ct);

        var user = UserMessage(chat);
        Assert.InRange(answer.Passages.Count, 1, 2);
        Assert.Equal(hits.Take(answer.Passages.Count), answer.Passages);
        Assert.EndsWith("Question: " + question, user);
        Assert.DoesNotContain("router reset three", user);
        var promptTokens = counter.CountTokens(SystemMessage(chat)) + counter.CountTokens(user);
        Assert.True(promptTokens + 100 <= 700, $"prompt of {promptTokens} tokens overflows the window");
    }

    [Fact]
    public async Task Long_passages_are_cut_to_the_passage_limit()
    {
        var longText = "router reset: " + string.Join(" ", Enumerable.Range(0, 400).Select(i => $"word{i}"));
        var chat = new ScriptedChatClient("Cut [1].") { TokenCounter = new ApproximateTokenCounter(4096) };
        var options = new AnswerOptions { MaxPassageTokens = 60 };

        await Answerer(new FakeRetriever(Hit("long.md", longText, dense: 0.9)), chat, options).AskAsync("router reset?", cancellationToken: Ct);

        var user = UserMessage(chat);
        Assert.Contains("word1 ", user);
        Assert.DoesNotContain("word399", user);
        Assert.Contains("…", user);
    }

    [Fact]
    public async Task A_window_too_small_for_the_question_is_a_clear_error()
    {
        var chat = new ScriptedChatClient("x") { Limits = new ChatModelLimits(120, 100) };

        var error = await Assert.ThrowsAsync<ChatModelException>(
            () => Answerer(new FakeRetriever(Router), chat).AskAsync("How do I reset the router?", cancellationToken: Ct));

        Assert.Contains("context window of 120 tokens", error.Message);
    }

    [Fact]
    public async Task Ask_options_override_top_filter_and_mode_for_retrieval()
    {
        var retriever = new FakeRetriever(Router, Warranty, Cables);
        var filter = new SearchFilter { Tags = ["manuals"] };
        var answerer = Answerer(retriever, new ScriptedChatClient("x [1]"), new AnswerOptions { Top = 7 });

        await answerer.AskAsync("reset the router", new AskOptions { Top = 2, Filter = filter, Mode = SearchMode.Lexical }, Ct);

        var (query, options) = Assert.Single(retriever.Queries);
        Assert.Equal("reset the router", query);
        Assert.Equal(2, options.Top);
        Assert.Equal(filter, options.Filter);
        Assert.Equal(SearchMode.Lexical, options.Mode);
    }

    [Fact]
    public async Task The_output_limit_is_passed_to_the_model()
    {
        var chat = new ScriptedChatClient("x [1]") { Limits = new ChatModelLimits(4096, 333) };

        await Answerer(new FakeRetriever(Router), chat).AskAsync("How do I reset the router?", cancellationToken: Ct);

        Assert.Equal(333, chat.Calls.Single().Options?.MaxOutputTokens);
    }
}

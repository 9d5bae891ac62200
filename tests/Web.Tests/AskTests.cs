using System.Text.Json;

namespace KnowledgeQa.Web.Tests;

/// <summary>The Ask view against the real server with extractive answers (no chat model configured).</summary>
[Collection(WebCollection.Name)]
public sealed class AskTests(Chromium chromium, WebAppServer server)
{
    private static async Task<ILocator> AskAsync(IPage page, string question)
    {
        var turns = page.Locator("#conversation .turn");
        var before = await turns.CountAsync();
        await page.FillAsync("#question", question);
        await page.PressAsync("#question", "Enter");
        var turn = turns.Nth(before);
        await Assertions.Expect(turn).Not.ToHaveAttributeAsync("data-status", "streaming");
        await Assertions.Expect(turn).ToHaveAttributeAsync("data-status", "done");
        return turn;
    }

    [Fact]
    public async Task An_answer_streams_in_and_its_citation_opens_the_passage_with_the_used_sentence_highlighted()
    {
        await using var web = await chromium.OpenSignedInAsync(server);
        var page = web.Page;

        var response = page.WaitForResponseAsync(r => r.Url.EndsWith("/v1/ask", StringComparison.Ordinal));
        var turn = await AskAsync(page, "How long does a full charge take?");
        Assert.StartsWith("text/event-stream", (await response).Headers["content-type"]);

        var text = turn.Locator(".answer-text");
        await Assertions.Expect(text).ToContainTextAsync("4.5 hours");
        await Assertions.Expect(turn.Locator(".badge.extractive")).ToBeVisibleAsync();
        await Assertions.Expect(turn.Locator(".sources li")).Not.ToHaveCountAsync(0);
        await web.ScreenshotAsync("ask");

        var cite = text.Locator("button.cite").First;
        await cite.ClickAsync();
        var dialog = page.Locator("#passage-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#passage-facts")).ToContainTextAsync("en/getting-started.md");
        await Assertions.Expect(page.Locator("#passage-facts")).ToContainTextAsync("Section");
        await Assertions.Expect(page.Locator("#passage-text mark").First).ToContainTextAsync("4.5 hours");
        await web.ScreenshotAsync("ask-passage");

        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        Assert.True(await cite.EvaluateAsync<bool>("b => b === document.activeElement"), "focus goes back to the citation");

        await cite.ClickAsync();
        await page.ClickAsync("#passage-document");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/documents/en%2Fgetting-started\\.md$"));
        await Assertions.Expect(page.Locator(".chunk.focused")).ToContainTextAsync("4.5 hours");
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task A_follow_up_question_sends_the_conversation_so_far_as_history()
    {
        await using var web = await chromium.OpenSignedInAsync(server);
        var page = web.Page;
        var requests = new List<IRequest>();
        page.Request += (_, r) => { if (r.Url.EndsWith("/v1/ask", StringComparison.Ordinal)) requests.Add(r); };

        var first = await AskAsync(page, "How many years does the warranty cover?");
        var firstAnswer = await first.Locator(".answer-text").InnerTextAsync();
        await AskAsync(page, "Does it cover the battery?");

        Assert.Equal(2, requests.Count);
        Assert.False(WebPage.BodyOf(requests[0]).TryGetProperty("history", out _));
        var history = WebPage.BodyOf(requests[1]).GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant"], history.Select(t => t.GetProperty("role").GetString()));
        Assert.Equal("How many years does the warranty cover?", history[0].GetProperty("content").GetString());
        // The answer text sent back is the API's own (with its [n] markers), which the page shows as citation buttons.
        Assert.Equal(firstAnswer.Replace(" ", ""), history[1].GetProperty("content").GetString()!.Replace(" ", ""));

        await page.ClickAsync("#ask-new");
        await Assertions.Expect(page.Locator("#conversation .turn")).ToHaveCountAsync(0);
        await AskAsync(page, "How long does a full charge take?");
        Assert.False(WebPage.BodyOf(requests[2]).TryGetProperty("history", out _));
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task A_question_the_knowledge_base_cannot_answer_is_shown_as_a_refusal()
    {
        await using var web = await chromium.OpenSignedInAsync(server);

        var turn = await AskAsync(web.Page, "Who painted the Mona Lisa?");

        await Assertions.Expect(turn.Locator(".badge.refused")).ToHaveTextAsync("Not found in the knowledge base");
        await Assertions.Expect(turn.Locator(".answer-text")).ToContainTextAsync("does not contain");
        await Assertions.Expect(turn.Locator("button.cite")).ToHaveCountAsync(0);
        await Assertions.Expect(turn.Locator(".sources")).ToHaveCountAsync(0);
        Assert.Empty(web.Errors);
    }

    [Theory]
    [InlineData("電池保固幾年？", "zh-Hant")]
    [InlineData("电池保固几年？", "zh-Hans")]
    public async Task A_Chinese_question_is_answered_from_the_Chinese_manual_and_shown_in_its_script(string question, string lang)
    {
        await using var web = await chromium.OpenSignedInAsync(server);
        var page = web.Page;

        var turn = await AskAsync(page, question);

        // The question in its own script; the extractive answer quotes the manual, which is in Traditional characters.
        var text = turn.Locator(".answer-text");
        await Assertions.Expect(turn.Locator(".question p")).ToHaveAttributeAsync("lang", lang);
        await Assertions.Expect(text).ToHaveAttributeAsync("lang", "zh-Hant");
        await Assertions.Expect(text).ToContainTextAsync("兩年");
        Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", await text.InnerTextAsync());
        await text.Locator("button.cite").First.ClickAsync();
        await Assertions.Expect(page.Locator("#passage-facts")).ToContainTextAsync("zh-Hant/");
        await Assertions.Expect(page.Locator("#passage-text")).ToHaveAttributeAsync("lang", "zh-Hant");
        await Assertions.Expect(page.Locator("#passage-text mark")).Not.ToHaveCountAsync(0);
        if (lang == "zh-Hant")
            await web.ScreenshotAsync("ask-chinese");
        Assert.Empty(web.Errors);
    }
}

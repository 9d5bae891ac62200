namespace KnowledgeQa.Web.Tests;

/// <summary>The Search view against the real hybrid, dense and lexical search.</summary>
[Collection(WebCollection.Name)]
public sealed class SearchTests(Chromium chromium, WebAppServer server)
{
    private static async Task<IRequest> SearchAsync(IPage page, string query, string mode = "hybrid", string tags = "", int top = 10)
    {
        await page.FillAsync("#search-query", query);
        await page.SelectOptionAsync("#search-mode", mode);
        await page.FillAsync("#search-tags", tags);
        await page.FillAsync("#search-top", top.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = page.WaitForResponseAsync(r => r.Url.EndsWith("/v1/search", StringComparison.Ordinal));
        await page.ClickAsync("#search-submit");
        var answered = await response;
        await Assertions.Expect(page.Locator("#search-status")).Not.ToHaveTextAsync("Searching…");
        return answered.Request;
    }

    [Fact]
    public async Task Results_show_title_source_headings_and_a_snippet_with_the_query_terms_marked()
    {
        await using var web = await chromium.OpenSignedInAsync(server, "#/search");
        var page = web.Page;
        await Assertions.Expect(page.Locator("#view-search")).ToBeVisibleAsync();

        var request = await SearchAsync(page, "battery charge", mode: "lexical", top: 3);

        var body = WebPage.BodyOf(request);
        Assert.Equal("lexical", body.GetProperty("mode").GetString());
        Assert.Equal(3, body.GetProperty("top").GetInt32());
        var results = page.Locator("#search-results > li");
        var count = await results.CountAsync();
        Assert.InRange(count, 1, 3);
        var first = results.First;
        await Assertions.Expect(first.Locator(".result-title a")).Not.ToBeEmptyAsync();
        await Assertions.Expect(first.Locator(".meta")).ToContainTextAsync("›");
        var marks = await first.Locator(".snippet mark").AllInnerTextsAsync();
        Assert.NotEmpty(marks);
        Assert.All(marks, m => Assert.Matches(@"(?i)^(battery|charge)\w*$", m));
        await Assertions.Expect(page.Locator("#search-status")).ToContainTextAsync($"{count} passage");
        await web.ScreenshotAsync("search");

        foreach (var mode in new[] { "hybrid", "dense" })
        {
            Assert.Equal(mode, WebPage.BodyOf(await SearchAsync(page, "How long does a full charge take?", mode)).GetProperty("mode").GetString());
            await Assertions.Expect(results.First.Locator(".snippet")).ToContainTextAsync("4.5 hours");
        }
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task The_tag_filter_keeps_only_documents_with_one_of_the_tags()
    {
        await using var web = await chromium.OpenSignedInAsync(server, "#/search");
        var page = web.Page;

        var request = await SearchAsync(page, "battery", tags: "manual, no-such-tag");
        Assert.Equal(["manual", "no-such-tag"], WebPage.BodyOf(request).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        await Assertions.Expect(page.Locator("#search-results > li")).Not.ToHaveCountAsync(0);

        await SearchAsync(page, "battery", tags: "no-such-tag");
        await Assertions.Expect(page.Locator("#search-results > li")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#search-status")).ToContainTextAsync("No passage matched");

        // The tags in the knowledge base are offered as suggestions.
        Assert.Contains("manual", await page.Locator("#known-tags option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)"));
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task A_Chinese_query_marks_the_words_it_shares_with_the_passage()
    {
        await using var web = await chromium.OpenSignedInAsync(server, "#/search");
        var page = web.Page;

        await SearchAsync(page, "電池保固", top: 3);

        var snippet = page.Locator("#search-results > li").First.Locator(".snippet");
        await Assertions.Expect(snippet).ToHaveAttributeAsync("lang", "zh-Hant");
        var marks = await snippet.Locator("mark").AllInnerTextsAsync();
        Assert.Contains(marks, m => m.Contains("電池", StringComparison.Ordinal) || m.Contains("保固", StringComparison.Ordinal));
        Assert.Empty(web.Errors);
    }
}

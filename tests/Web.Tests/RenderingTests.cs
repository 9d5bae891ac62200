namespace KnowledgeQa.Web.Tests;

/// <summary>How the app shows what the knowledge base holds: long unbroken Chinese, and text that looks like markup.</summary>
[Collection(WebCollection.Name)]
public sealed class RenderingTests(Chromium chromium, WebAppServer server)
{
    /// <summary>Elements matching <paramref name="selector"/> that are wider inside than their box, and whether the page scrolls sideways.</summary>
    private static Task<string[]> OverflowsAsync(IPage page, string selector) => page.EvaluateAsync<string[]>("""
        s => [
          ...[...document.querySelectorAll(s)].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => `${s}: ${e.scrollWidth} > ${e.clientWidth}`),
          ...(document.documentElement.scrollWidth > window.innerWidth ? [`page: ${document.documentElement.scrollWidth} > ${window.innerWidth}`] : []),
        ]
        """, selector);

    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task Long_unbroken_Chinese_and_Latin_text_wraps_inside_the_page(int width)
    {
        await using var web = await chromium.OpenAsync(server.BaseAddress, width: width, height: 900);
        await web.SignInAsync();
        var page = web.Page;

        await page.GotoAsync("#/documents/" + Uri.EscapeDataString(WebFixtures.LongChineseFile));
        var chunks = page.Locator("#document-chunks .chunk-text");
        await Assertions.Expect(chunks).Not.ToHaveCountAsync(0);
        await Assertions.Expect(chunks.First).ToHaveAttributeAsync("lang", "zh-Hant");
        var shown = string.Concat(await chunks.AllInnerTextsAsync());
        Assert.Contains(WebFixtures.LongChinese[..200], shown);
        Assert.Contains(WebFixtures.LongLatin[..100], shown);
        Assert.Empty(await OverflowsAsync(page, "#document-chunks .chunk-text"));
        if (width < 500)
            await web.ScreenshotAsync("document-long-chinese-phone");

        await page.ClickAsync("#nav a[data-view='search']");
        await page.FillAsync("#search-query", "山谷裡開滿了野花");
        await page.ClickAsync("#search-submit");
        await Assertions.Expect(page.Locator("#search-results .snippet mark").First).ToBeVisibleAsync();
        Assert.Empty(await OverflowsAsync(page, "#search-results .snippet"));
        // Chunks are bounded in characters, so a hit may be whole in its snippet: expand where it is cut.
        var expand = page.Locator("#search-results button[aria-expanded]");
        if (await expand.CountAsync() > 0)
        {
            await expand.First.ClickAsync();
            Assert.Empty(await OverflowsAsync(page, "#search-results .snippet"));
        }

        await page.ClickAsync("#nav a[data-view='ask']");
        await page.FillAsync("#question", WebFixtures.LongChinese[..300]);
        await page.PressAsync("#question", "Enter");
        await Assertions.Expect(page.Locator(".turn").First).ToHaveAttributeAsync("data-status", "done");
        Assert.Empty(await OverflowsAsync(page, ".question p, .answer-text"));
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task Document_text_that_looks_like_markup_is_shown_as_text_and_never_runs()
    {
        await using var web = await chromium.OpenSignedInAsync(server, "#/search");
        var page = web.Page;

        await page.FillAsync("#search-query", "ferry timetable note bold");
        await page.ClickAsync("#search-submit");
        var hit = page.Locator("#search-results > li", new() { HasTextString = "Ferry timetable" });
        await Assertions.Expect(hit.Locator(".snippet")).ToContainTextAsync("<img src=x onerror=\"window.__pwned=1\">");
        await Assertions.Expect(hit.Locator(".snippet")).ToContainTextAsync("<script>window.__pwned=2</script>");
        Assert.Equal(0, await page.Locator("#search-results img, #search-results script, #search-results b").CountAsync());

        await hit.Locator(".result-title a").ClickAsync();
        await Assertions.Expect(page.Locator("#document-chunks .chunk-text").First).ToContainTextAsync("<b>bold</b>");
        Assert.Equal(0, await page.Locator("#document-chunks img, #document-chunks script, #document-chunks b").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));

        // The page itself refuses HTML strings: Trusted Types are enforced by its Content-Security-Policy.
        var refused = await page.EvaluateAsync<string>("() => { try { document.body.insertAdjacentHTML('beforeend', '<i>x</i>'); return 'accepted'; } catch (e) { return e.name; } }");
        Assert.Equal("TypeError", refused);
        web.ForgetErrors(e => e.Contains("TrustedHTML", StringComparison.Ordinal));
        Assert.Empty(web.Errors);
    }
}

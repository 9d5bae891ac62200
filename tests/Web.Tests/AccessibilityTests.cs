using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;

namespace KnowledgeQa.Web.Tests;

/// <summary>axe-core (the engine of Deque's axe tools) on every view, in the light and the dark colour scheme.</summary>
[Collection(WebCollection.Name)]
public sealed class AccessibilityTests(Chromium chromium, WebAppServer server)
{
    private static async Task AssertNoViolationsAsync(IPage page, string view, List<string> found)
    {
        var result = await page.RunAxe();
        Assert.True(result.Passes.Length > 10, $"{view}: axe ran only {result.Passes.Length} checks");
        found.AddRange(result.Violations.Select(v =>
            $"{view}: {v.Id} ({v.Impact}) {v.Help}: " + string.Join("; ", v.Nodes.Select(n => $"{n.Target} {n.Html}: " + string.Join(" ", n.Any.Concat(n.All).Concat(n.None).Select(c => c.Message))))));
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task No_view_has_an_accessibility_violation(ColorScheme scheme)
    {
        await using var web = await chromium.OpenAsync(server.BaseAddress, scheme);
        var page = web.Page;
        var violations = new List<string>();

        await web.GotoAsync();
        await page.FillAsync("#key-input", "wrong");
        await page.PressAsync("#key-input", "Enter");
        await Assertions.Expect(page.Locator("#key-error")).Not.ToBeEmptyAsync();
        await AssertNoViolationsAsync(page, "key prompt with an error", violations);

        await page.FillAsync("#key-input", WebAppServer.ApiKey);
        await page.PressAsync("#key-input", "Enter");
        await Assertions.Expect(page.Locator("#view-ask")).ToBeVisibleAsync();
        await page.ClickAsync(".options summary");
        await page.FillAsync("#question", "How long does a full charge take?");
        await page.PressAsync("#question", "Enter");
        await Assertions.Expect(page.Locator(".turn").First).ToHaveAttributeAsync("data-status", "done");
        await page.FillAsync("#question", "Who painted the Mona Lisa?");
        await page.PressAsync("#question", "Enter");
        await Assertions.Expect(page.Locator(".turn").Nth(1)).ToHaveAttributeAsync("data-status", "done");
        await AssertNoViolationsAsync(page, "ask with an answer and a refusal", violations);

        await page.Locator(".answer-text button.cite").First.ClickAsync();
        await Assertions.Expect(page.Locator("#passage-dialog")).ToBeVisibleAsync();
        await AssertNoViolationsAsync(page, "passage dialog", violations);
        await page.Keyboard.PressAsync("Escape");

        await page.ClickAsync("#nav a[data-view='search']");
        await page.FillAsync("#search-query", "battery charge");
        await page.ClickAsync("#search-submit");
        await Assertions.Expect(page.Locator("#search-results > li")).Not.ToHaveCountAsync(0);
        await AssertNoViolationsAsync(page, "search with results", violations);

        await page.ClickAsync("#nav a[data-view='documents']");
        await Assertions.Expect(page.Locator("#documents-body tr")).Not.ToHaveCountAsync(0);
        await page.SetInputFilesAsync("#file-input", new[]
        {
            new FilePayload { Name = $"axe-{scheme}.txt", MimeType = "text/plain", Buffer = "A note for the accessibility scan."u8.ToArray() },
            new FilePayload { Name = $"axe-{scheme}.bin", MimeType = "application/octet-stream", Buffer = [0, 1, 2, 0xFF, 0, 0, 0x80, 0, 0, 0] },
        });
        await Assertions.Expect(page.Locator("#upload-list li.upload[data-state='failed']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#upload-list li.upload[data-state='added']")).ToHaveCountAsync(1);
        await AssertNoViolationsAsync(page, "documents with uploads", violations);

        await page.Locator("#documents-body tr", new() { HasTextString = $"axe-{scheme}.txt" }).Locator("button").ClickAsync();
        await AssertNoViolationsAsync(page, "delete confirmation", violations);
        await page.ClickAsync("#confirm-ok");
        await Assertions.Expect(page.Locator("#documents-body tr", new() { HasTextString = $"axe-{scheme}.txt" })).ToHaveCountAsync(0);

        await page.ClickAsync("#documents-body a:text-is('en/troubleshooting.md')");
        await Assertions.Expect(page.Locator("#document-chunks > li")).Not.ToHaveCountAsync(0);
        await AssertNoViolationsAsync(page, "document view", violations);
        if (scheme == ColorScheme.Dark)
            await web.ScreenshotAsync("document-dark");

        Assert.True(violations.Count == 0, string.Join("\n", violations));
        web.ForgetUnauthorized();
        web.ForgetStatus(422); // the binary file's upload
        Assert.Empty(web.Errors);
    }
}

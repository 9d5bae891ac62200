namespace KnowledgeQa.Web.Tests;

/// <summary>The main actions with the keyboard alone: no clicks, only Tab, Enter, Space, Escape and typing.</summary>
[Collection(WebCollection.Name)]
public sealed class KeyboardTests(Chromium chromium, WebAppServer server)
{
    /// <summary>Presses Tab until the focused element matches <paramref name="selector"/> (at most 60 times).</summary>
    private static async Task TabToAsync(IPage page, string selector, bool backwards = false)
    {
        for (var i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) ?? false", selector))
                return;
        }
        var focused = await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 120) ?? 'nothing'");
        Assert.Fail($"Tab never reached {selector}; focus is on {focused}");
    }

    [Fact]
    public async Task Sign_in_ask_open_a_citation_search_upload_and_delete_with_the_keyboard_only()
    {
        await using var web = await chromium.OpenAsync(server.BaseAddress);
        var page = web.Page;
        // Listening from the start turns Playwright's file-chooser interception on long before the key press
        // that opens one: WaitForFileChooserAsync right before the press races it (the press can reach
        // the page first, and the chooser then opens unintercepted and no event comes).
        var chooser = new TaskCompletionSource<IFileChooser>(TaskCreationOptions.RunContinuationsAsynchronously);
        page.FileChooser += (_, opened) => chooser.TrySetResult(opened);
        await web.GotoAsync();

        // The key prompt has the focus.
        await page.Keyboard.TypeAsync(WebAppServer.ApiKey);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#view-ask")).ToBeVisibleAsync();
        web.ForgetUnauthorized();

        // Ask, then open the first citation and close it again.
        await TabToAsync(page, "#question");
        await page.Keyboard.TypeAsync("How many years does the warranty cover?");
        await page.Keyboard.PressAsync("Enter");
        var turn = page.Locator("#conversation .turn").First;
        await Assertions.Expect(turn).ToHaveAttributeAsync("data-status", "done");
        await TabToAsync(page, "#conversation .answer-text button.cite", backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#passage-dialog")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#passage-close")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#passage-dialog")).ToBeHiddenAsync();

        // The retrieval options open with the keyboard too.
        await TabToAsync(page, ".options summary");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#ask-mode")).ToBeVisibleAsync();

        // Search.
        await TabToAsync(page, "#nav a[data-view='search']", backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#search-title")).ToBeFocusedAsync();
        await TabToAsync(page, "#search-query");
        await page.Keyboard.TypeAsync("warranty");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#search-results > li")).Not.ToHaveCountAsync(0);
        await TabToAsync(page, "#search-mode");
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.Equal("dense", await page.InputValueAsync("#search-mode"));

        // Documents: the file picker opens from the keyboard; the upload is deleted with the confirmation's Delete button.
        await TabToAsync(page, "#nav a[data-view='documents']", backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#documents-title")).ToBeFocusedAsync();
        await TabToAsync(page, "#file-input");
        await page.Keyboard.PressAsync("Space");
        await (await chooser.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)).SetFilesAsync(new FilePayload { Name = "keyboard-note.txt", MimeType = "text/plain", Buffer = "Typed with keys only: the ferry pass costs nine dollars."u8.ToArray() });
        await Assertions.Expect(page.Locator("#upload-list li.upload").First).ToHaveAttributeAsync("data-state", "added");
        await Assertions.Expect(page.Locator("#documents-body tr", new() { HasTextString = "keyboard-note.txt" })).ToHaveCountAsync(1);

        await TabToAsync(page, "button[aria-label='Delete upload/keyboard-note.txt']");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#confirm-cancel")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#confirm-dialog")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("button[aria-label='Delete upload/keyboard-note.txt']")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        // Cancel has the focus once the dialog is open; the Tab waits for it (Delete was not focused once under CI
        // load, cause not found: the dialog opens synchronously on the click).
        await Assertions.Expect(page.Locator("#confirm-cancel")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("#confirm-ok")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#documents-body tr", new() { HasTextString = "keyboard-note.txt" })).ToHaveCountAsync(0);

        // The skip link comes before the navigation and moves focus to the content.
        await TabToAsync(page, "#skip-link", backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#main")).ToBeFocusedAsync();
        Assert.Empty(web.Errors);
    }
}

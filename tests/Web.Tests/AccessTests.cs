using System.Net;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Web.Tests;

/// <summary>The API key: the page is public and holds no secret; the app asks for the key once per browser tab.</summary>
[Collection(WebCollection.Name)]
public sealed partial class AccessTests(Chromium chromium, WebAppServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("""(?:href|src)="(_app/[^"]+)"|from '\./([^']+)'""")]
    private static partial Regex AssetReference();

    [Fact]
    public async Task The_page_and_its_files_are_served_without_the_key_and_hold_no_secret()
    {
        using var anonymous = server.CreateClient(apiKey: null);
        var page = await anonymous.GetAsync("", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("require-trusted-types-for 'script'", page.Headers.GetValues("Content-Security-Policy").Single());

        // Every file the page loads, found by following its references (index.html, then each module's imports).
        var pending = new Queue<string>(["index.html"]);
        var seen = new HashSet<string>();
        while (pending.TryDequeue(out var path))
        {
            if (!seen.Add(path))
                continue;
            var response = await anonymous.GetAsync(path == "index.html" ? "" : path, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain(WebAppServer.ApiKey, body);
            foreach (Match reference in AssetReference().Matches(body))
                pending.Enqueue(reference.Groups[1].Success ? reference.Groups[1].Value : "_app/js/" + reference.Groups[2].Value);
        }
        Assert.Contains("_app/js/main.js", seen);
        Assert.Contains("_app/js/text.js", seen);
        Assert.Contains("_app/app.css", seen);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("v1/documents", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("_app/js/missing.js", Ct)).StatusCode);
    }

    [Fact]
    public async Task Without_the_key_only_the_prompt_shows_a_wrong_key_is_reported_and_the_right_one_is_kept_for_the_tab()
    {
        await using var web = await chromium.OpenAsync(server.BaseAddress);
        var page = web.Page;
        await web.GotoAsync();

        await Assertions.Expect(page.Locator("#view-key")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#nav")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#view-ask")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#key-input")).ToBeFocusedAsync();
        // Without the key the API answers nothing but the health check.
        Assert.Equal(401, await web.EvalAsync<int>("fetch('v1/documents').then(r => r.status)"));
        Assert.Equal(401, await web.EvalAsync<int>("fetch('v1/search', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{\"query\":\"x\"}'}).then(r => r.status)"));
        Assert.Equal(200, await web.EvalAsync<int>("fetch('healthz').then(r => r.status)"));
        await web.ScreenshotAsync("key");

        await page.FillAsync("#key-input", "not-the-key");
        await page.PressAsync("#key-input", "Enter");
        await Assertions.Expect(page.Locator("#key-error")).ToHaveTextAsync("The server did not accept this key. Check it and try again.");
        await Assertions.Expect(page.Locator("#key-input")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#nav")).ToBeHiddenAsync();
        Assert.Null(await web.EvalAsync<string?>("sessionStorage.getItem('kqa.apiKey')"));

        await page.FillAsync("#key-input", WebAppServer.ApiKey);
        await page.PressAsync("#key-input", "Enter");
        await Assertions.Expect(page.Locator("#view-ask")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#nav")).ToBeVisibleAsync();
        Assert.Equal(WebAppServer.ApiKey, await web.EvalAsync<string>("sessionStorage.getItem('kqa.apiKey')"));
        Assert.Equal(0, await web.EvalAsync<int>("localStorage.length"));
        Assert.Equal(0, await web.EvalAsync<int>("document.cookie.length"));

        // A reload in the same tab keeps the key; the requests carry it as the bearer token.
        var request = page.WaitForRequestAsync(r => r.Url.EndsWith("/v1/documents", StringComparison.Ordinal));
        await web.GotoAsync();
        Assert.Equal($"Bearer {WebAppServer.ApiKey}", (await request).Headers["authorization"]);
        await Assertions.Expect(page.Locator("#view-ask")).ToBeVisibleAsync();

        // Another browser session knows nothing of it.
        await using (var other = await chromium.OpenAsync(server.BaseAddress))
        {
            await other.GotoAsync();
            await Assertions.Expect(other.Page.Locator("#view-key")).ToBeVisibleAsync();
        }

        await page.ClickAsync("#forget-key");
        await Assertions.Expect(page.Locator("#view-key")).ToBeVisibleAsync();
        Assert.Null(await web.EvalAsync<string?>("sessionStorage.getItem('kqa.apiKey')"));
        web.ForgetUnauthorized();
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task A_key_the_server_stops_accepting_brings_the_prompt_back()
    {
        await using var web = await chromium.OpenSignedInAsync(server);
        var page = web.Page;

        await web.EvalAsync<object?>("sessionStorage.setItem('kqa.apiKey', 'revoked-key')");
        await page.ClickAsync("#nav a[data-view='documents']");

        await Assertions.Expect(page.Locator("#view-key")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#key-error")).ToContainTextAsync("no longer accepts the key");
        web.ForgetUnauthorized();
        Assert.Empty(web.Errors);
    }
}

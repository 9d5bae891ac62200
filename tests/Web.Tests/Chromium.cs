using System.Text.Json;

namespace KnowledgeQa.Web.Tests;

/// <summary>
/// Debian's chromium (/usr/bin/chromium, `apt-get install -y chromium`; .ci/run installs it),
/// driven headless by Playwright for .NET. Never Playwright's own browser download, which cannot
/// work offline. When the browser is missing, every browser test is reported skipped with the reason.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    /// <summary>Debian's binary; KQA_CHROMIUM names another (a chromium or Chrome elsewhere).</summary>
    public const string DefaultExecutablePath = "/usr/bin/chromium";

    // Without the background-networking flags chromium keeps calling Google's hosts, which a closed network refuses.
    private static readonly string[] Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;

    public Chromium() : this(Environment.GetEnvironmentVariable("KQA_CHROMIUM") is { Length: > 0 } path ? path : DefaultExecutablePath)
    {
    }

    internal Chromium(string executablePath) => ExecutablePath = executablePath;

    public string ExecutablePath { get; }

    public IBrowser? Browser { get; private set; }

    public string? MissingReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        // Expectations that wait for server work (an upload read and embedded, an answer) took over
        // Playwright's 5 s default on a loaded 2-core CI machine; a passing expectation still returns at once.
        Assertions.SetDefaultExpectTimeout(30_000);
        if (!File.Exists(ExecutablePath))
        {
            MissingReason = $"no browser at {ExecutablePath}: install Debian's chromium (`apt-get install -y chromium`; .ci/run does) or set KQA_CHROMIUM.";
            return;
        }
        _playwright = await Playwright.CreateAsync();
        // Each launch gets a fresh temporary user-data-dir from Playwright, deleted on close.
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Args,
        });
    }

    /// <summary>A page in a new browser context (its own sessionStorage and cache) at <paramref name="baseAddress"/>.</summary>
    public async Task<WebPage> OpenAsync(Uri baseAddress, ColorScheme colorScheme = ColorScheme.Light, int width = 1280, int height = 900)
    {
        Assert.SkipWhen(Browser is null, MissingReason ?? "no browser");
        var context = await Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ColorScheme = colorScheme,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(30_000);
        return new WebPage(context, await context.NewPageAsync());
    }

    /// <summary>A page of <paramref name="server"/>'s app, past the key prompt when the server has a key, at <paramref name="path"/>.</summary>
    public async Task<WebPage> OpenSignedInAsync(WebAppServer server, string path = "")
    {
        var web = await OpenAsync(server.BaseAddress);
        if (server.RequiredKey is { } key)
            await web.SignInAsync(key, path);
        else
            await web.GotoAsync(path);
        return web;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>A page of the app, collecting script errors and failed requests so that tests can insist on none.</summary>
public sealed class WebPage : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    public WebPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.PageError += (_, error) => _errors.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                _errors.Add("console error: " + message.Text + (message.Location is { Length: > 0 } at ? " at " + at : ""));
        };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }

    /// <summary>Errors the page reported so far (script exceptions, Trusted Types violations, console errors).</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Console errors the test caused on purpose (a 401 from a wrong key) are removed from <see cref="Errors"/>.</summary>
    public void ForgetErrors(Func<string, bool> expected) => _errors.RemoveAll(e => expected(e));

    /// <summary>Opens the app and waits until it has decided what to show.</summary>
    public async Task GotoAsync(string path = "")
    {
        await Page.GotoAsync(path);
        await Page.WaitForSelectorAsync("html[data-ready='true']", new() { State = WaitForSelectorState.Attached });
    }

    /// <summary>Opens the app and gives the API key at its prompt.</summary>
    public async Task SignInAsync(string key = WebAppServer.ApiKey, string path = "")
    {
        await GotoAsync(path);
        await Page.FillAsync("#key-input", key);
        await Page.ClickAsync("#key-submit");
        await Page.WaitForSelectorAsync("#nav", new() { State = WaitForSelectorState.Visible });
        ForgetUnauthorized();
    }

    /// <summary>Chromium logs every 401 as a console error: the app's first call without a key gets one on purpose.</summary>
    public void ForgetUnauthorized() => ForgetStatus(401);

    /// <summary>Removes Chromium's console errors for responses with <paramref name="status"/> that the test caused on purpose.</summary>
    public void ForgetStatus(int status) => ForgetErrors(e => e.Contains($"status of {status} ", StringComparison.Ordinal));

    public async Task<T> EvalAsync<T>(string expression) => await Page.EvaluateAsync<T>(expression);

    /// <summary>The JSON body of a request the page sent.</summary>
    public static JsonElement BodyOf(IRequest request) => JsonDocument.Parse(request.PostData ?? "null").RootElement;

    /// <summary>Writes a PNG to $KQA_WEB_SCREENSHOTS/<paramref name="name"/>.png when that variable names a folder.</summary>
    public async Task ScreenshotAsync(string name, bool fullPage = false)
    {
        if (Environment.GetEnvironmentVariable("KQA_WEB_SCREENSHOTS") is not { Length: > 0 } folder)
            return;
        Directory.CreateDirectory(folder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = fullPage });
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}

namespace KnowledgeQa.Web.Tests;

/// <summary>Where the browser tests find their browser, and what they report when there is none.</summary>
public sealed class BrowserSetupTests
{
    [Fact]
    public async Task Without_the_browser_there_is_no_launch_and_the_skip_reason_says_how_to_install_it()
    {
        await using var missing = new Chromium("/nonexistent/chromium");
        await missing.InitializeAsync();

        // Chromium.OpenAsync hands this reason to Assert.SkipWhen, so each browser test is reported skipped with it.
        Assert.Null(missing.Browser);
        Assert.Contains("apt-get install -y chromium", missing.MissingReason);
        Assert.Contains("/nonexistent/chromium", missing.MissingReason);
    }
}

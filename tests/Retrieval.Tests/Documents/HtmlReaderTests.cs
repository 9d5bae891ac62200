using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public class HtmlReaderTests
{
    private static Task<Document> Read(string html, string name = "page.html", ReaderOptions? options = null) =>
        DocumentReaderRegistry.CreateDefault(options).ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(html)), name, name, name, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Main_content_only_with_headings_lists_and_tables()
    {
        var html = """
            <!DOCTYPE html>
            <html><head><title> Pricing &amp; plans </title><style>body { color: red }</style>
            <script>var tracking = "SCRIPT-TEXT";</script></head>
            <body>
              <header><a href="/">SITE-HEADER</a></header>
              <nav><ul><li>NAV-ITEM</li></ul></nav>
              <div role="navigation">ROLE-NAV</div>
              <main>
                <h1>Plans</h1>
                <p>Choose a <b>plan</b> that
                   fits.<br>Second line.</p>
                <div hidden>HIDDEN-TEXT</div>
                <div style="display: none">INVISIBLE-TEXT</div>
                <h2>Compare</h2>
                <ul><li>Basic</li><li>Pro <em>plus</em></li></ul>
                <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>$5</td></tr></table>
                <pre>  code   keeps
              spacing</pre>
                <form><label>FORM-TEXT</label></form>
              </main>
              <aside>ASIDE-TEXT</aside>
              <footer>SITE-FOOTER</footer>
            </body></html>
            """;

        var document = await Read(html);

        Assert.Equal(HtmlReader.MediaType, document.MediaType);
        Assert.Equal("Pricing & plans", document.Title);
        Assert.Equal(
        [
            (BlockKind.Heading, 1, "Plans"),
            (BlockKind.Paragraph, 0, "Choose a plan that fits.\nSecond line."),
            (BlockKind.Heading, 2, "Compare"),
            (BlockKind.ListItem, 0, "Basic"),
            (BlockKind.ListItem, 0, "Pro plus"),
            (BlockKind.Table, 0, "Plan | Price\nBasic | $5"),
            (BlockKind.Code, 0, "  code   keeps\n  spacing"),
        ], DocumentAssert.Blocks(document));
        foreach (var boilerplate in new[] { "SCRIPT", "SITE-HEADER", "NAV-ITEM", "ROLE-NAV", "HIDDEN", "INVISIBLE", "FORM", "ASIDE", "SITE-FOOTER", "color" })
            Assert.DoesNotContain(boilerplate, document.Text);
    }

    [Fact]
    public async Task Without_main_the_body_is_read_less_its_chrome_and_the_title_falls_back_to_h1()
    {
        var html = "<html><body><header>TOP</header><h1>Guide</h1><div>Body text <span>inline</span>.</div><footer>BOTTOM</footer></body></html>";

        var document = await Read(html);

        Assert.Equal("Guide", document.Title);
        Assert.Equal("Guide\n\nBody text inline.", document.Text);
    }

    [Fact]
    public async Task Html_content_is_sniffed_when_the_name_does_not_say()
    {
        var document = await Read("<!doctype html><html><body><p>Sniffed</p></body></html>", name: "download");

        Assert.Equal(HtmlReader.MediaType, document.MediaType);
        Assert.Equal("Sniffed", document.Text);
    }

    [Fact]
    public async Task A_meta_charset_is_honoured()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var html = "<html><head><meta charset=\"big5\"><title>測試</title></head><body><p>繁體中文</p></body></html>";
        var bytes = Encoding.GetEncoding("big5").GetBytes(html);

        var document = await DocumentReaderRegistry.CreateDefault().ReadAsync(new MemoryStream(bytes), "tw.html", "tw.html", "tw.html", TestContext.Current.CancellationToken);

        Assert.Equal("測試", document.Title);
        Assert.Equal("繁體中文", document.Text);
    }

    [Fact]
    public async Task Deeply_nested_html_is_refused_quickly_with_a_reason()
    {
        var html = "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 100_000)) + "deep</body></html>";

        var error = await Assert.ThrowsAsync<DocumentReadException>(() => Read(html, "deep.html"));

        Assert.Equal("deep.html", error.Path);
        Assert.Contains("nested deeper than 512 levels", error.Reason);
        Assert.Contains("MaxHtmlDepth", error.Reason);
    }

    [Fact]
    public async Task Nesting_within_the_limit_reads()
    {
        var html = "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 300)) + "fine"
            + string.Concat(Enumerable.Repeat("</div>", 300)) + string.Concat(Enumerable.Repeat("<p>unclosed paragraph ", 2_000)) + "</body></html>";

        var document = await Read(html);

        Assert.StartsWith("fine", document.Text);
        Assert.Equal(2_001, document.Blocks.Count);
    }

    [Fact]
    public async Task A_fragment_without_html_or_body_is_read_with_its_form_controls()
    {
        var html = """
            <h2>Search the docs</h2>
            <form action="/search"><input type="search" placeholder="Search…"><button>Go</button>
            <input type="hidden" value="secret"></form>
            <ul><li>First <b>item</b></li><li>Second</li></ul>
            """;

        var document = await Read(html, "fragment.html");

        Assert.Equal(
        [
            (BlockKind.Heading, 2, "Search the docs"),
            (BlockKind.Paragraph, 0, "Search… Go"),
            (BlockKind.ListItem, 0, "First item"),
            (BlockKind.ListItem, 0, "Second"),
        ], DocumentAssert.Blocks(document));
    }

    [Fact]
    public async Task In_a_whole_page_forms_stay_site_chrome()
    {
        var document = await Read("<html><body><form><input placeholder=\"Search…\"><button>Go</button></form><p>Content.</p></body></html>");

        Assert.Equal("Content.", document.Text);
    }

    [Fact]
    public async Task A_page_whose_only_text_is_in_scripts_says_so()
    {
        var error = await Assert.ThrowsAsync<DocumentReadException>(
            () => Read("<h1 id=\"title\"></h1><script>document.getElementById('title').textContent = '404 Not Found'</script>", "404.html"));

        Assert.Equal("no text: nothing on the page is visible without running its scripts; if a browser shows text, save the rendered page instead", error.Reason);
    }
}

using System.Net;
using System.Text;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace KnowledgeQa.Web.Tests;

/// <summary>The Documents views: list, upload by picker and by drop, delete, one document's chunks.</summary>
[Collection(WebCollection.Name)]
public sealed class DocumentsTests(Chromium chromium, WebAppServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static FilePayload Text(string name, string text) => new() { Name = name, MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes(text) };

    /// <summary>A two-page PDF (PdfPig's writer), so that search results and chunks carry page numbers.</summary>
    private static FilePayload Pdf(string name, string page1, string page2)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in new[] { page1, page2 })
            builder.AddPage(595, 842).AddText(text, 11, new PdfPoint(60, 780), font);
        return new FilePayload { Name = name, MimeType = "application/pdf", Buffer = builder.Build() };
    }

    private static ILocator Upload(IPage page, string name) =>
        page.Locator("#upload-list li.upload").Filter(new() { Has = page.Locator(".upload-name", new() { HasTextString = name }) });

    private static async Task<WebPage> OpenDocumentsAsync(Chromium chromium, WebAppServer server)
    {
        var web = await chromium.OpenSignedInAsync(server, "#/documents");
        await Assertions.Expect(web.Page.Locator("#documents-body tr")).Not.ToHaveCountAsync(0);
        return web;
    }

    [Fact]
    public async Task The_list_shows_each_document_with_source_title_chunks_tags_and_when_it_was_ingested()
    {
        await using var web = await OpenDocumentsAsync(chromium, server);
        var page = web.Page;

        var row = page.Locator("#documents-body tr").Filter(new() { HasTextString = "en/getting-started.md" });
        await Assertions.Expect(row.Locator("th a")).ToHaveTextAsync("en/getting-started.md");
        await Assertions.Expect(row.Locator("td").Nth(0)).ToHaveTextAsync("Aurora A1 owner's guide");
        await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("samples/docs/en/getting-started.md");
        await Assertions.Expect(row.Locator("td.number")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"));
        await Assertions.Expect(row.Locator(".tags li")).ToHaveTextAsync("manual");
        await Assertions.Expect(row.Locator("time")).ToHaveAttributeAsync("datetime", new System.Text.RegularExpressions.Regex("^20[0-9]{2}-"));

        await page.FillAsync("#document-filter", "zh-Hant");
        await Assertions.Expect(page.Locator("#documents-body tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#documents-status")).ToContainTextAsync("3 of");
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task Files_chosen_in_the_picker_are_uploaded_one_by_one_with_their_own_result_and_can_then_be_found()
    {
        await using var web = await OpenDocumentsAsync(chromium, server);
        var page = web.Page;

        await page.FillAsync("#upload-tags", "web-upload");
        await page.SetInputFilesAsync("#file-input", new[]
        {
            Text("picker-ferries.txt", "The harbour ferry to Lantau leaves every forty minutes from pier six."),
            Pdf("picker-manual.pdf", "Quokka saddle adjustment needs a five millimetre hex key.", "Quokka pedals are tightened clockwise on the right side."),
            new FilePayload { Name = "picker-broken.bin", MimeType = "application/octet-stream", Buffer = [0x00, 0x01, 0x02, 0xFF, 0xFE, 0x00, 0x10, 0x80, 0x00, 0x00] },
        });

        await Assertions.Expect(Upload(page, "picker-ferries.txt")).ToHaveAttributeAsync("data-state", "added");
        await Assertions.Expect(Upload(page, "picker-manual.pdf")).ToHaveAttributeAsync("data-state", "added");
        await Assertions.Expect(Upload(page, "picker-broken.bin")).ToHaveAttributeAsync("data-state", "failed");
        await Assertions.Expect(Upload(page, "picker-broken.bin").Locator(".upload-state")).ToContainTextAsync("binary");
        await Assertions.Expect(Upload(page, "picker-ferries.txt").Locator("progress")).ToHaveAttributeAsync("value", "100");
        await Assertions.Expect(Upload(page, "picker-ferries.txt").Locator(".upload-state a")).ToHaveTextAsync("upload/picker-ferries.txt");
        var row = page.Locator("#documents-body tr").Filter(new() { HasTextString = "picker-manual.pdf" });
        await Assertions.Expect(row.Locator(".tags li")).ToHaveTextAsync("web-upload");
        await web.ScreenshotAsync("documents");

        // The same file again is unchanged; changed content replaces it.
        await page.SetInputFilesAsync("#file-input", Text("picker-ferries.txt", "The harbour ferry to Lantau leaves every forty minutes from pier six."));
        await Assertions.Expect(page.Locator("#upload-list li.upload").First).ToHaveAttributeAsync("data-state", "unchanged");
        await page.SetInputFilesAsync("#file-input", Text("picker-ferries.txt", "The harbour ferry to Lantau now leaves every thirty minutes from pier six."));
        await Assertions.Expect(page.Locator("#upload-list li.upload").First).ToHaveAttributeAsync("data-state", "replaced");

        // Search finds the new PDF, with its page.
        await page.ClickAsync("#nav a[data-view='search']");
        await page.FillAsync("#search-query", "Quokka pedals clockwise");
        await page.ClickAsync("#search-submit");
        var hit = page.Locator("#search-results > li").First;
        await Assertions.Expect(hit.Locator(".result-title")).ToContainTextAsync("picker-manual");
        await Assertions.Expect(hit.Locator(".meta")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("page [12]"));
        web.ForgetStatus(422); // the broken file's upload
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task Files_dropped_on_the_drop_zone_are_uploaded()
    {
        await using var web = await OpenDocumentsAsync(chromium, server);
        var page = web.Page;

        await page.EvaluateAsync("""
            () => {
              const files = new DataTransfer();
              files.items.add(new File(['Dropped note: the ferry kiosk sells day passes.'], 'dropped-note.txt', { type: 'text/plain' }));
              files.items.add(new File(['Second dropped note: kiosks close at nine.'], 'dropped-second.md', { type: 'text/markdown' }));
              const zone = document.getElementById('drop-zone');
              zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: files, bubbles: true, cancelable: true }));
              zone.dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
            }
            """);

        await Assertions.Expect(Upload(page, "dropped-note.txt")).ToHaveAttributeAsync("data-state", "added");
        await Assertions.Expect(Upload(page, "dropped-second.md")).ToHaveAttributeAsync("data-state", "added");
        await Assertions.Expect(page.Locator("#documents-body tr").Filter(new() { HasTextString = "dropped-note.txt" })).ToHaveCountAsync(1);
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task A_document_is_deleted_only_after_confirmation_even_with_spaces_and_non_ascii_characters_in_its_id()
    {
        const string name = "Garantie été 2.md";
        using (var client = server.CreateClient())
        using (var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("Une note sur la garantie des ferries.")), "file", name } })
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("v1/documents", form, Ct)).StatusCode);
        await using var web = await OpenDocumentsAsync(chromium, server);
        var page = web.Page;
        var row = page.Locator("#documents-body tr").Filter(new() { HasTextString = name });
        var dialog = page.Locator("#confirm-dialog");

        await row.Locator("button", new() { HasTextString = "Delete" }).ClickAsync();
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#confirm-text")).ToContainTextAsync(name);
        await Assertions.Expect(page.Locator("#confirm-cancel")).ToBeFocusedAsync();
        await web.ScreenshotAsync("documents-delete");
        await page.ClickAsync("#confirm-cancel");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await Assertions.Expect(row).ToHaveCountAsync(1);

        await row.Locator("button", new() { HasTextString = "Delete" }).ClickAsync();
        await page.ClickAsync("#confirm-ok");
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#documents-status")).ToContainTextAsync($"Deleted “upload/{name}”");

        using var api = server.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("v1/documents/upload/" + Uri.EscapeDataString(name), Ct)).StatusCode);
        Assert.Empty(web.Errors);
    }

    [Fact]
    public async Task The_document_view_shows_every_chunk_with_its_headings_for_an_id_with_a_slash_and_Chinese_characters()
    {
        const string id = "zh-Hant/電池保養.md";
        await using var web = await chromium.OpenSignedInAsync(server);
        var page = web.Page;

        await page.ClickAsync("#nav a[data-view='documents']");
        await page.ClickAsync($"#documents-body a:text-is('{id}')");

        await Assertions.Expect(page.Locator("#document-title")).ToHaveTextAsync("電池保養指南");
        await Assertions.Expect(page.Locator("#document-title")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#document-facts")).ToContainTextAsync(id);
        using var api = server.CreateClient();
        var detail = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("v1/documents/zh-Hant/" + Uri.EscapeDataString("電池保養.md"), Ct)).RootElement;
        var chunks = page.Locator("#document-chunks > li");
        await Assertions.Expect(chunks).ToHaveCountAsync(detail.GetProperty("chunks").GetArrayLength());
        await Assertions.Expect(chunks.Nth(1).Locator(".chunk-title")).ToContainTextAsync("電池保養指南 › ");
        await Assertions.Expect(chunks.Nth(1).Locator(".chunk-text")).ToHaveAttributeAsync("lang", "zh-Hant");
        await web.ScreenshotAsync("document");

        await page.GotoAsync("#/documents/" + Uri.EscapeDataString("no/such document.md"));
        await Assertions.Expect(page.Locator("#document-status")).ToContainTextAsync("There is no document “no/such document.md”");
        web.ForgetStatus(404);
        Assert.Empty(web.Errors);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace KnowledgeQa.Server.Tests;

/// <summary>GET /v1/documents/{**id}: one document with its chunks.</summary>
public sealed class DocumentDetailTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_document_comes_with_its_chunks_in_order_with_text_headings_and_offsets()
    {
        using var client = server.CreateClient();
        var response = await client.GetAsync("/v1/documents/upload/battery.md", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var document = body.GetProperty("document");
        Assert.Equal("upload/battery.md", document.GetProperty("documentId").GetString());
        Assert.Equal(["manual"], document.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var chunks = body.GetProperty("chunks").EnumerateArray().ToList();
        Assert.Equal(document.GetProperty("chunks").GetInt32(), chunks.Count);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Contains(chunks, c => c.GetProperty("text").GetString()!.Contains("4.5 hours", StringComparison.Ordinal));
        Assert.Equal(["Battery"], chunks[0].GetProperty("headings").EnumerateArray().Select(h => h.GetString()));
        Assert.True(chunks[0].GetProperty("end").GetInt32() > chunks[0].GetProperty("start").GetInt32());
    }

    [Fact]
    public async Task An_id_with_slashes_spaces_and_non_ascii_characters_is_read_by_its_escaped_path()
    {
        using var client = server.CreateClient();
        // A host app's documents can have any id: this one comes in through the store, as kqa ingest of a folder would make it.
        var id = "guides/été 2/電池.md";
        var pipeline = server.App.Services.GetRequiredService<IngestionPipeline>();
        var readers = server.App.Services.GetRequiredService<DocumentReaderRegistry>();
        using var text = new MemoryStream(Encoding.UTF8.GetBytes("# 電池\n\n電池保固兩年。\n"));
        var document = await readers.ReadAsync(text, id, id, id, Ct);
        await pipeline.IngestDocumentsAsync([document], cancellationToken: Ct);

        var path = "/v1/documents/" + string.Join('/', id.Split('/').Select(Uri.EscapeDataString));
        var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(id, body.GetProperty("document").GetProperty("documentId").GetString());
        Assert.Contains("電池保固兩年", body.GetProperty("chunks")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_missing_document_is_a_404_in_the_json_error_shape_and_the_key_is_needed()
    {
        using var client = server.CreateClient();
        var missing = await client.GetAsync("/v1/documents/no/such/doc.md", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no/such/doc.md", JsonDocument.Parse(await missing.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetString());

        using var anonymous = server.CreateClient(apiKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/documents/upload/battery.md", Ct)).StatusCode);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KnowledgeQa.Server.Tests;

/// <summary>
/// Bad input of every kind the attack run tried (and more) is a 4xx with a JSON error that says what
/// to fix, never a 500 and never a .NET type name.
/// </summary>
public sealed class BadRequestTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string ManyTags = JsonSerializer.Serialize(new { query = "charge", tags = Enumerable.Range(0, 101).Select(i => $"t{i}") });
    private static readonly string ManyLabels = JsonSerializer.Serialize(new { text = "charge", labels = Enumerable.Range(0, 101).Select(i => $"l{i}") });
    private static readonly string LongQuery = JsonSerializer.Serialize(new { query = new string('q', 4001) });

    public static TheoryData<string, string, string, int, string> JsonBodies => new()
    {
        { "/v1/search", "application/json", """{"query": "charge", "tags": [null]}""", 400, "'tags[0]' must be a non-empty string" },
        { "/v1/ask", "application/json", """{"question": "charge?", "tags": [null]}""", 400, "'tags[0]' must be a non-empty string" },
        { "/v1/search", "application/json", """{"query": "charge", "tags": ["manual", "  "]}""", 400, "'tags[1]'" },
        { "/v1/search", "application/json", """{"query": "charge", "tags": "manual"}""", 400, "'tags' must be an array of strings" },
        { "/v1/search", "application/json", """{"query": "charge", "top": "x"}""", 400, "'top' must be an integer" },
        { "/v1/search", "application/json", """{"query": "charge", "top": 1e10}""", 400, "'top' must be an integer" },
        { "/v1/search", "application/json", """{"query": 5}""", 400, "'query' must be a string" },
        { "/v1/classify", "application/json", """{"text": "x", "sentiment": "yes"}""", 400, "'sentiment' must be true or false" },
        { "/v1/classify", "application/json", """{"text": "x", "labels": {"a": 1}}""", 400, "'labels' must be an array of strings" },
        { "/v1/classify", "application/json", """{"text": "x", "labels": ["a", null]}""", 400, "labels" },
        { "/v1/search", "application/json", "null", 400, "JSON object" },
        { "/v1/search", "application/json", "", 400, "JSON object" },
        { "/v1/search", "application/json", """{"query": "charge" """, 400, "malformed JSON" },
        { "/v1/search", "application/json", ManyTags, 400, "101 tags; the limit is 100" },
        { "/v1/classify", "application/json", ManyLabels, 400, "101 labels; the limit is 100" },
        { "/v1/search", "application/json", LongQuery, 400, "4001 characters; the limit is 4000" },
        { "/v1/search", "text/plain", """{"query": "charge"}""", 415, "application/json" },
        { "/v1/documents", "application/x-www-form-urlencoded", "a=b", 415, "multipart/form-data" },
    };

    [Theory]
    [MemberData(nameof(JsonBodies))]
    public async Task A_bad_body_is_a_4xx_with_a_json_error_naming_what_to_fix(string path, string contentType, string body, int status, string expected)
    {
        using var client = server.CreateClient();
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        var response = await client.PostAsync(path, content, Ct);

        await AssertErrorAsync(response, status, expected);
    }

    public static TheoryData<string, string, string> MultipartBodies => new()
    {
        { "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello", "ended before its closing boundary" },
        { "multipart/form-data", "garbage", "boundary" },
        { "multipart/form-data; boundary=xyz", "garbage", "ended before its closing boundary" },
        { "multipart/form-data; boundary=xyz", "--xyz\r\nGarbage\r\n\r\nhello\r\n--xyz--\r\n", "Invalid header line" },
    };

    [Theory]
    [MemberData(nameof(MultipartBodies))]
    public async Task A_malformed_multipart_body_is_a_400(string contentType, string body, string expected)
    {
        using var client = server.CreateClient();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await client.PostAsync("/v1/documents", content, Ct);

        await AssertErrorAsync(response, 400, expected);
    }

    [Fact]
    public async Task The_wrong_method_on_a_known_path_is_a_405_naming_the_right_one()
    {
        using var client = server.CreateClient();
        var response = await client.GetAsync("/v1/search", Ct);

        await AssertErrorAsync(response, 405, "takes POST");
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Up_to_MaxUploadFiles_files_go_in_and_one_more_is_a_400()
    {
        using var client = server.CreateClient();
        var notes = Enumerable.Range(1, 101).Select(i => ($"count-note-{i}.txt", Encoding.UTF8.GetBytes($"Note {i} about the ferry timetable."))).ToArray();

        // 65 to 100 files were a 500 ("Form value count limit 64 exceeded") while MaxUploadFiles is 100;
        // each file may bring its 'path' part too.
        var form = RunningServer.Upload(notes[..100]);
        for (var i = 1; i <= 100; i++)
            form.Add(new StringContent($"counted/note-{i}.txt"), "path");
        var hundred = await client.PostAsync("/v1/documents", form, Ct);
        var body = await hundred.Content.ReadAsStringAsync(Ct);
        Assert.True(hundred.StatusCode == HttpStatusCode.OK, body);
        var report = JsonDocument.Parse(body).RootElement;
        Assert.Equal(100, report.GetProperty("documents").GetArrayLength());
        Assert.Contains(report.GetProperty("documents").EnumerateArray(), d => d.GetProperty("documentId").GetString() == "upload/counted/note-100.txt");

        await AssertErrorAsync(await client.PostAsync("/v1/documents", RunningServer.Upload(notes), Ct), 400, "101 files in one upload; the limit is 100");
    }

    [Fact]
    public async Task A_form_with_more_parts_than_files_and_fields_allowed_is_a_400()
    {
        using var client = server.CreateClient();
        var form = RunningServer.Upload(("parts.txt", Encoding.UTF8.GetBytes("A note.")));
        // More than MaxUploadFiles files, a path for each and the other fields together.
        for (var i = 0; i < 300; i++)
            form.Add(new StringContent($"tag{i}"), "tag");

        await AssertErrorAsync(await client.PostAsync("/v1/documents", form, Ct), 400, "too many parts in one upload");
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, int status, string expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.Contains(expected, error);
        Assert.DoesNotMatch(@"\b(System|KnowledgeQa|Microsoft)\.[A-Z]", error);
    }
}

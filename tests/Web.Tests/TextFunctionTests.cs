using System.Text.Json;

namespace KnowledgeQa.Web.Tests;

/// <summary>
/// The app's text functions (src/Server/WebApp/js/text.js), imported as the page imports them and
/// called in the browser: highlights, citation markers, sentences, query marks and languages.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class TextFunctionTests(Chromium chromium, WebAppServer server)
{
    private static async Task<JsonElement> CallAsync(WebPage web, string function, params object?[] args)
    {
        var json = await web.Page.EvaluateAsync<string>(
            "async ([f, args]) => JSON.stringify((await import('./_app/js/text.js'))[f](...args))",
            new object[] { function, args });
        return JsonDocument.Parse(json).RootElement;
    }

    private static string[] Marked(string text, JsonElement ranges) =>
        ranges.EnumerateArray().Select(r => text[r.GetProperty("start").GetInt32()..r.GetProperty("end").GetInt32()]).ToArray();

    [Fact]
    public async Task Highlights_come_from_the_server_when_given_else_from_the_answer_quoted_or_paraphrased()
    {
        await using var web = await chromium.OpenAsync(server.BaseAddress);
        await web.GotoAsync();
        const string passage = "Charging the battery\n\nUse only the supplied 4 A charger. A full charge from empty takes about 4.5 hours; charging from 20 to\n80 percent takes about 2 hours. The battery can be charged on the bike.";

        // The server's ranges win, clipped to the passage and merged.
        var given = await CallAsync(web, "passageHighlights", passage, "anything [1]", 1, new[] { new { start = 22, length = 8 }, new { start = 26, length = 17 } });
        Assert.Equal(["Use only the supplied"], Marked(passage, given));

        // An extractive answer quotes the sentence, line break and all.
        var quoted = await CallAsync(web, "passageHighlights", passage, "A full charge from empty takes about 4.5 hours; charging from 20 to\n80 percent takes about 2 hours. [1]", 1, null);
        Assert.Equal(["A full charge from empty takes about 4.5 hours; charging from 20 to\n80 percent takes about 2 hours."], Marked(passage, quoted));

        // A generated answer paraphrases: the passage sentences whose words the citing sentence mostly shares.
        var paraphrase = await CallAsync(web, "passageHighlights", passage, "The manual says it can be charged on the bike itself [1]. Unrelated claim [2].", 1, null);
        Assert.Equal(["The battery can be charged on the bike."], Marked(passage, paraphrase));

        // Nothing shared, nothing marked.
        Assert.Empty((await CallAsync(web, "passageHighlights", passage, "Ferries leave from pier six [1].", 1, null)).EnumerateArray());

        const string chinese = "請只使用原廠附的 4 A 充電器。從沒電充到全滿大約需要四個半小時。充電環境溫度應在攝氏 10 度到 30 度之間。";
        var cjk = await CallAsync(web, "passageHighlights", chinese, "從沒電充到全滿大約需要四個半小時。[1]充電環境溫度應在攝氏 10 度到 30 度之間。[1]", 1, null);
        Assert.Equal(["從沒電充到全滿大約需要四個半小時。充電環境溫度應在攝氏 10 度到 30 度之間。"], Marked(chinese, cjk));

        // Each sentence's marker follows it, so a passage gets only the sentences that cite it.
        const string answer = "Use only the supplied 4 A charger. [2] The battery can be charged on the bike. [1]";
        Assert.Equal(["The battery can be charged on the bike."], Marked(passage, await CallAsync(web, "passageHighlights", passage, answer, 1, null)));
    }

    [Fact]
    public async Task Citation_markers_in_every_form_the_server_reads_become_numbers_and_unknown_ones_stay_text()
    {
        await using var web = await chromium.OpenAsync(server.BaseAddress);
        await web.GotoAsync();

        var parts = await CallAsync(web, "splitCitations", "A [1]. B [2][3]. C [1, 2]. D ［２］ E 【1-3】 F [9].", new[] { 1, 2, 3 });
        var cited = parts.EnumerateArray().Where(p => p.TryGetProperty("numbers", out _))
            .Select(p => string.Join(',', p.GetProperty("numbers").EnumerateArray().Select(n => n.GetInt32()))).ToArray();
        Assert.Equal(["1", "2", "3", "1,2", "2", "1,2,3"], cited);
        Assert.Equal("A [1]. B [2][3]. C [1, 2]. D ［２］ E 【1-3】 F [9].", string.Concat(parts.EnumerateArray().Select(p => p.GetProperty("text").GetString())));
        Assert.Contains(parts.EnumerateArray(), p => p.GetProperty("text").GetString()!.Contains("[9]", StringComparison.Ordinal) && !p.TryGetProperty("numbers", out _));
    }

    [Fact]
    public async Task Sentences_end_at_Latin_and_CJK_marks_but_not_inside_numbers_and_query_terms_mark_words_and_CJK_pairs()
    {
        await using var web = await chromium.OpenAsync(server.BaseAddress);
        await web.GotoAsync();

        const string text = "It takes 4.5 hours. Really? 第一句。第二句！Last";
        var sentences = await CallAsync(web, "sentenceRanges", text);
        Assert.Equal(["It takes 4.5 hours.", "Really?", "第一句。", "第二句！", "Last"], Marked(text, sentences));

        const string passage = "Charge the battery; the charger recharges. 電池充滿電需要四個半小時";
        Assert.Equal(["Charge", "battery", "charger", "電池充"], Marked(passage, await CallAsync(web, "queryTermRanges", passage, "charge BATTERY 電池充電")));

        Assert.Equal("zh-Hant", (await CallAsync(web, "detectLanguage", "電池保固幾年？")).GetString());
        Assert.Equal("zh-Hans", (await CallAsync(web, "detectLanguage", "电池保固几年？")).GetString());
        Assert.Equal("zh", (await CallAsync(web, "detectLanguage", "山水")).GetString());
        Assert.Equal("ja", (await CallAsync(web, "detectLanguage", "バッテリーの充電")).GetString());
        Assert.Equal(JsonValueKind.Null, (await CallAsync(web, "detectLanguage", "battery")).ValueKind);
        Assert.Equal(["manual", "faq", "保固"], (await CallAsync(web, "tagList", " manual, faq，保固 ,,manual")).EnumerateArray().Select(t => t.GetString()));
    }
}

namespace KnowledgeQa.Web.Tests;

/// <summary>
/// What the first load of the app costs: bytes on the wire (gzip) and the time until it can be used
/// (its first API call answered, the Ask view showing), on loopback, on the server without a key.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class LoadTests(Chromium chromium, GenerativeWebAppServer server, ITestOutputHelper output)
{
    private const int MaxFirstLoadBytes = 300 * 1024;

    [Fact]
    public async Task The_first_load_transfers_under_300_KB_compressed()
    {
        var timings = new List<double>();
        long bytes = 0;
        for (var run = 0; run < 5; run++)
        {
            // A new context each time: an empty cache, as on a first visit.
            await using var web = await chromium.OpenAsync(server.BaseAddress);
            await web.GotoAsync();
            await Assertions.Expect(web.Page.Locator("#question")).ToBeFocusedAsync();
            var load = await web.EvalAsync<double[]>("""
                () => {
                  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
                  const ready = performance.getEntriesByName('kqa-ready')[0]?.startTime ?? performance.now();
                  return [entries.reduce((n, e) => n + e.transferSize, 0), ready, entries.filter(e => e.encodedBodySize < e.decodedBodySize).length, entries.length];
                }
                """);
            bytes = (long)load[0];
            timings.Add(load[1]);
            Assert.True(load[2] >= load[3] - 2, $"{load[2]} of {load[3]} responses were compressed");
        }
        timings.Sort();
        output.WriteLine($"first load: {bytes} bytes transferred; ready after {timings[2]:F0} ms (median of 5, min {timings[0]:F0}, max {timings[^1]:F0})");
        Assert.True(bytes < MaxFirstLoadBytes, $"the first load transferred {bytes} bytes");
    }
}

using System.Diagnostics;
using System.Text;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Documents;

/// <summary>
/// Random bytes and mutated valid files through every reader: each call must end in a document or
/// a <see cref="DocumentReadException"/>, never another exception, a crash or a hang. The seed is
/// fixed so a failure reproduces; the wall-clock budget only caps how many inputs are tried.
/// </summary>
public class ReaderFuzzTests
{
    // KQA_FUZZ_SEED / KQA_FUZZ_ITERATIONS / KQA_FUZZ_SECONDS run a longer or different campaign by hand.
    private static readonly int Seed = EnvironmentNumber("KQA_FUZZ_SEED", 20_240_508);
    private static readonly int Iterations = EnvironmentNumber("KQA_FUZZ_ITERATIONS", 300);
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(EnvironmentNumber("KQA_FUZZ_SECONDS", 60));
    private static readonly TimeSpan PerCallTimeout = TimeSpan.FromSeconds(30);

    private static readonly string[] Names = ["a.txt", "a.md", "a.html", "a.pdf", "a.docx", "a.bin", "noextension"];

    [Fact]
    public async Task Every_input_ends_in_a_document_or_a_typed_error()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var seeds = new (string Name, byte[] Bytes)[]
        {
            ("seed.txt", Encoding.UTF8.GetBytes("Plain text, 中文 too.\n\nSecond paragraph.")),
            ("seed-big5.txt", Encoding.GetEncoding("big5").GetBytes("知識庫問答系統會讀取文件，並根據內容回答使用者的問題。")),
            ("seed.md", Encoding.UTF8.GetBytes("---\ntitle: T\n---\n# H\n\n- a\n- b\n\n```\ncode\n```\n\n|a|b|\n|-|-|\n|1|2|\n\n[l](u) *e* `c`")),
            ("seed.html", Encoding.UTF8.GetBytes("<!doctype html><html><head><title>T</title></head><body><main><h1>H</h1><p>P <b>b</b></p><ul><li>i</li></ul><table><tr><td>1</td></tr></table></main></body></html>")),
            ("seed.pdf", TestFiles.Pdf(TestFiles.Body(780, "First page text with infor-", "mation."), TestFiles.Body(780, "Second page."))),
            ("seed.docx", TestFiles.Docx("T", [TestFiles.Para("H", "Heading1"), TestFiles.Para("Body"), TestFiles.Table(["a", "b"])])),
        };
        var registry = DocumentReaderRegistry.CreateDefault(new ReaderOptions { MaxDecompressedBytes = 16 * 1024 * 1024 });
        var random = new Random(Seed);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        int done = 0;

        for (; done < Iterations && clock.Elapsed < Budget; done++)
        {
            var (name, bytes, how) = NextInput(random, seeds);
            var source = $"fuzz-{done}-{name}";
            var call = Task.Run(() => registry.ReadAsync(new MemoryStream(bytes), name, "fuzz", source, TestContext.Current.CancellationToken));
            try
            {
                var document = await call.WaitAsync(PerCallTimeout, TestContext.Current.CancellationToken);
                Assert.False(string.IsNullOrWhiteSpace(document.Text));
                Assert.All(document.Blocks, block => Assert.InRange(block.End, block.Start, document.Text.Length));
                Count(outcomes, "document");
            }
            catch (DocumentReadException e)
            {
                if (e.Path != source || string.IsNullOrWhiteSpace(e.Reason))
                    failures.Add($"#{done} {how}: error without the file or a reason: '{e.Message}'");
                // The registry's safety net words unforeseen reader exceptions this way: readers
                // should name what went wrong themselves.
                if (e.Reason.StartsWith("could not be read (", StringComparison.Ordinal))
                    failures.Add($"#{done} {how}: unforeseen reader failure: {e.Reason}");
                Count(outcomes, "refused");
            }
            catch (TimeoutException)
            {
                failures.Add($"#{done} {how}: no answer within {PerCallTimeout.TotalSeconds} s (hang)");
            }
            catch (Exception e)
            {
                failures.Add($"#{done} {how}: {e.GetType().Name}: {e.Message}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"fuzz: {done} inputs in {clock.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
        Assert.True(done >= 50, $"only {done} inputs ran within the budget");
        Assert.Empty(failures);
    }

    private static int EnvironmentNumber(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : fallback;

    private static void Count(Dictionary<string, int> outcomes, string key) => outcomes[key] = outcomes.GetValueOrDefault(key) + 1;

    private static (string Name, byte[] Bytes, string How) NextInput(Random random, (string Name, byte[] Bytes)[] seeds)
    {
        if (random.NextDouble() < 0.2)
        {
            var noise = new byte[random.Next(0, 4096)];
            random.NextBytes(noise);
            var noiseName = Names[random.Next(Names.Length)];
            return (noiseName, noise, $"{noise.Length} random bytes as {noiseName}");
        }

        var (seedName, seedBytes) = seeds[random.Next(seeds.Length)];
        var bytes = seedBytes.ToArray();
        string how;
        switch (random.Next(5))
        {
            case 0:
                int flips = random.Next(1, 20);
                for (int i = 0; i < flips; i++)
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                how = $"{seedName} with {flips} bytes changed";
                break;
            case 1:
                int cut = random.Next(bytes.Length);
                bytes = bytes[..cut];
                how = $"{seedName} cut at {cut}";
                break;
            case 2:
                int at = random.Next(bytes.Length);
                var inserted = new byte[random.Next(1, 512)];
                random.NextBytes(inserted);
                bytes = [.. bytes[..at], .. inserted, .. bytes[at..]];
                how = $"{seedName} with {inserted.Length} bytes inserted at {at}";
                break;
            case 3:
                int from = random.Next(bytes.Length), length = random.Next(1, Math.Max(2, bytes.Length - from));
                int to = random.Next(bytes.Length);
                bytes = [.. bytes[..to], .. bytes.AsSpan(from, Math.Min(length, bytes.Length - from)), .. bytes[to..]];
                how = $"{seedName} with a slice copied from {from} to {to}";
                break;
            default:
                var other = seeds[random.Next(seeds.Length)].Bytes;
                int half = random.Next(bytes.Length);
                bytes = [.. bytes[..half], .. other[random.Next(other.Length)..]];
                how = $"{seedName} spliced with another seed at {half}";
                break;
        }
        var name = random.NextDouble() < 0.2 ? Names[random.Next(Names.Length)] : seedName;
        return (name, bytes, how + (name == seedName ? "" : $" named {name}"));
    }
}

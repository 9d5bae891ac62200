using System.Globalization;
using System.Net;
using System.Text;

namespace KnowledgeQa.Load;

/// <summary>
/// What the real `kqa serve` keeps in memory after large uploads. For each run (a fresh server each
/// time) it reads the server's resident set (VmRSS) at idle, then during and after a 49 MB text upload
/// that the readers refuse (over ReaderOptions.MaxTextCharacters), then after a large upload that is
/// accepted (a 40 MB HTML page whose bytes are mostly an embedded image, with a little text) and
/// deleted, each time right after the response and again after settling; it prints the medians over
/// the runs as MB and as ratios to the idle figure of the same run.
/// Run: dotnet run -c Release --project bench/KnowledgeQa.Load -- memory [--runs 3] [--settle-seconds 10]
/// [--refused-mb 49] [--accepted-mb 40] [--accepted-paragraphs 50]; DOTNET_GC... variables given to this program reach the server.
/// </summary>
internal static class ServeMemoryCheck
{
    private const double MB = 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = Int(args, "--runs", 3);
        var settle = TimeSpan.FromSeconds(Int(args, "--settle-seconds", 10));
        var refusedBytes = (long)(Double(args, "--refused-mb", 49) * MB);
        var acceptedBytes = (long)(Double(args, "--accepted-mb", 40) * MB);
        var acceptedParagraphs = Int(args, "--accepted-paragraphs", 50);

        var folder = Directory.CreateTempSubdirectory("kqa-memory-");
        try
        {
            var refusedFile = Path.Combine(folder.FullName, "huge.txt");
            var acceptedFile = Path.Combine(folder.FullName, "saved-page.html");
            WriteText(refusedFile, refusedBytes);
            WriteSavedPage(acceptedFile, acceptedBytes, acceptedParagraphs);
            Console.WriteLine($"server memory (VmRSS) after uploads; {runs} runs, a fresh kqa serve each, settle {settle.TotalSeconds:0} s; " +
                              $"{Environment.ProcessorCount} cores, load {LoadAverage()}");
            Console.WriteLine($"refused: {new FileInfo(refusedFile).Length / MB:0.0} MB of text; accepted: {new FileInfo(acceptedFile).Length / MB:0.0} MB HTML page");

            var results = new List<Dictionary<string, double>>();
            for (var run = 1; run <= runs; run++)
            {
                var figures = await OneRunAsync(refusedFile, acceptedFile, settle);
                results.Add(figures);
                Console.WriteLine($"run {run}: " + string.Join(", ", figures.Select(f => $"{f.Key} {f.Value / MB:0}")) + $" (load {LoadAverage()})");
            }

            Console.WriteLine($"{"point",-28} {"median MB",10} {"x idle",8}");
            var idle = Median(results.Select(r => r["idle"]));
            foreach (var point in results[0].Keys)
            {
                var median = Median(results.Select(r => r[point]));
                var ratio = Median(results.Select(r => r[point] / r["idle"]));
                Console.WriteLine($"{point,-28} {median / MB,10:0} {ratio,8:0.00}");
            }
            Console.WriteLine($"idle median {idle / MB:0} MB; load {LoadAverage()}");
            return 0;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<Dictionary<string, double>> OneRunAsync(string refusedFile, string acceptedFile, TimeSpan settle)
    {
        await using var server = await ServerProcess.StartAsync();
        var figures = new Dictionary<string, double>();
        // A small document and a search first, so that idle includes what every server has loaded.
        using (var small = Upload(("small.txt", Encoding.UTF8.GetBytes("The battery charges in four hours. The warranty lasts two years."))))
            Expect(await server.Http.PostAsync("/v1/documents", small), HttpStatusCode.OK, "small upload");
        Expect(await server.Http.PostAsync("/v1/search", new StringContent("""{"query":"battery"}""", Encoding.UTF8, "application/json")), HttpStatusCode.OK, "search");
        await Task.Delay(settle);
        figures["idle"] = server.ResidentBytes();

        var (refusedPeak, refusedAfter) = await UploadSampledAsync(server, refusedFile, HttpStatusCode.UnprocessableEntity);
        figures["refused: peak"] = refusedPeak;
        figures["refused: after"] = refusedAfter;
        await Task.Delay(settle);
        figures["refused: settled"] = server.ResidentBytes();

        var (acceptedPeak, _) = await UploadSampledAsync(server, acceptedFile, HttpStatusCode.OK);
        figures["accepted: peak"] = acceptedPeak;
        Expect(await server.Http.DeleteAsync("/v1/documents/upload/" + Path.GetFileName(acceptedFile)), HttpStatusCode.OK, "delete");
        figures["accepted+deleted: after"] = server.ResidentBytes();
        await Task.Delay(settle);
        figures["accepted+deleted: settled"] = server.ResidentBytes();
        return figures;
    }

    /// <summary>Uploads one file while sampling the server's memory; the peak seen and the figure right after the answer.</summary>
    private static async Task<(double Peak, double After)> UploadSampledAsync(ServerProcess server, string file, HttpStatusCode expected)
    {
        double peak = server.ResidentBytes();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.ResidentBytes());
                try { await Task.Delay(50, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        using (var form = Upload((Path.GetFileName(file), await File.ReadAllBytesAsync(file))))
            Expect(await server.Http.PostAsync("/v1/documents", form), expected, Path.GetFileName(file));
        double after = server.ResidentBytes();
        await sampling.CancelAsync();
        await sampler;
        return (Math.Max(peak, after), after);
    }

    private static MultipartFormDataContent Upload(params (string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
            form.Add(new ByteArrayContent(bytes), "file", name);
        return form;
    }

    private static void Expect(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        using (response)
        {
            if (response.StatusCode != expected)
                throw new InvalidOperationException($"{what}: expected {(int)expected}, got {(int)response.StatusCode} {response.Content.ReadAsStringAsync().Result}");
        }
    }

    /// <summary>Prose lines, as a huge log or export would be: over the text limit (10 million characters) by far.</summary>
    private static void WriteText(string path, long bytes)
    {
        var random = new Random(7);
        string[] words = ["battery", "charge", "motor", "warranty", "frame", "brake", "range", "display", "the", "of", "and", "when"];
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        var line = new StringBuilder();
        long written = 0;
        while (written < bytes)
        {
            line.Clear();
            for (var w = 0; w < 16; w++)
                line.Append(words[random.Next(words.Length)]).Append(' ');
            line.Append(".\n");
            writer.Write(line);
            written += line.Length;
        }
    }

    /// <summary>A page saved with its image inline ("Save page as, complete"): many bytes, little text.</summary>
    private static void WriteSavedPage(string path, long bytes, int paragraphs)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        writer.Write("<!DOCTYPE html><html><head><title>Saved page</title></head><body><main><h1>Battery care</h1>");
        for (var i = 0; i < paragraphs; i++)
            writer.Write($"<p>Section {i}: charge the battery fully before the first ride, and store it half charged in a cool place.</p>");
        writer.Write("<img alt=\"diagram\" src=\"data:image/png;base64,");
        var random = new Random(11);
        var chunk = new byte[3 * 1024];
        long written = 0;
        while (written < bytes)
        {
            random.NextBytes(chunk);
            var base64 = Convert.ToBase64String(chunk);
            writer.Write(base64);
            written += base64.Length;
        }
        writer.Write("\"></main></body></html>");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static int Int(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

    private static double Double(string[] args, string name, double fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

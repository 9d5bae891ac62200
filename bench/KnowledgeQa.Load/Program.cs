// A bounded load run against the real `kqa serve` on loopback: N concurrent clients for S seconds,
// mixed search and ask over the sample documents; prints requests/s, p50/p99 latency, errors and
// the server's memory (resident set) at start, peak and end.
// Run: dotnet run -c Release --project bench/KnowledgeQa.Load -- [--clients 16] [--seconds 10] [--ask-share 0.25]
// The server's memory after large uploads: ... -- memory (see ServeMemoryCheck).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Load;

if (args.Length > 0 && args[0] == "memory")
    return await ServeMemoryCheck.RunAsync(args[1..]);

var clients = IntArg("--clients", 16);
var seconds = IntArg("--seconds", 10);
var askShare = double.Parse(Arg("--ask-share") ?? "0.25", CultureInfo.InvariantCulture);
var docs = Arg("--docs") ?? Path.Combine(FindRepositoryRoot(), "samples", "docs");

string[] questions =
[
    "How long does a full charge of the battery take?", "What does error E07 mean?", "How many years is the warranty?",
    "How do I reset the display?", "電池充滿電需要多久？", "台北旗艦店週一有營業嗎", "电池保固几年", "What voids the warranty?",
];

await using var server = await ServerProcess.StartAsync(maxConnections: clients * 2);
var http = server.Http;

using (var form = new MultipartFormDataContent())
{
    foreach (var file in Directory.EnumerateFiles(docs, "*", SearchOption.AllDirectories))
        form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(file)), "file", Path.GetFileName(file));
    var upload = await http.PostAsync("/v1/documents", form);
    Console.WriteLine($"upload: {(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
}
// Warm-up: the first search loads the embedding model; it is not part of the measurement.
foreach (var q in questions)
    (await http.PostAsync("/v1/search", Json(new { query = q }))).EnsureSuccessStatusCode();

var memoryStart = server.ResidentBytes();
var memoryPeak = memoryStart;
var latencies = new List<double>[clients];
var errors = 0;
var errorSamples = new List<string>();
var clock = Stopwatch.StartNew();
var deadline = TimeSpan.FromSeconds(seconds);
using var sampling = new CancellationTokenSource();
var sampler = Task.Run(async () =>
{
    while (!sampling.IsCancellationRequested)
    {
        memoryPeak = Math.Max(memoryPeak, server.ResidentBytes());
        try { await Task.Delay(250, sampling.Token); } catch (OperationCanceledException) { }
    }
});

var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
{
    var random = new Random(c);
    var mine = latencies[c] = [];
    while (clock.Elapsed < deadline)
    {
        var question = questions[random.Next(questions.Length)];
        var ask = random.NextDouble() < askShare;
        var began = Stopwatch.GetTimestamp();
        try
        {
            using var response = ask
                ? await http.PostAsync("/v1/ask", Json(new { question }))
                : await http.PostAsync("/v1/search", Json(new { query = question, top = 5 }));
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref errors);
                lock (errorSamples) if (errorSamples.Count < 5) errorSamples.Add($"{(int)response.StatusCode} {body}");
                continue;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref errors);
            lock (errorSamples) if (errorSamples.Count < 5) errorSamples.Add(e.Message);
            continue;
        }
        mine.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
    }
})).ToArray();
await Task.WhenAll(workers);
var elapsed = clock.Elapsed.TotalSeconds;
await sampling.CancelAsync();
await sampler;
var memoryEnd = server.ResidentBytes();

var all = latencies.SelectMany(l => l).Order().ToArray();
Console.WriteLine($"clients {clients}, {elapsed:0.0} s, ask share {askShare:0.00}, {Environment.ProcessorCount} cores");
Console.WriteLine($"requests {all.Length}, {all.Length / elapsed:0.0} req/s, errors {errors}");
if (all.Length > 0)
    Console.WriteLine($"latency ms: p50 {Percentile(all, 0.50):0.0}, p90 {Percentile(all, 0.90):0.0}, p99 {Percentile(all, 0.99):0.0}, max {all[^1]:0.0}");
Console.WriteLine($"server RSS MB: start {memoryStart / 1048576.0:0}, peak {memoryPeak / 1048576.0:0}, end {memoryEnd / 1048576.0:0}");
foreach (var sample in errorSamples)
    Console.WriteLine("error: " + sample);
return errors == 0 ? 0 : 1;

static StringContent Json<T>(T value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static string FindRepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        if (File.Exists(Path.Combine(directory.FullName, "KnowledgeQa.sln")))
            return directory.FullName;
    throw new InvalidOperationException("KnowledgeQa.sln not found above " + AppContext.BaseDirectory + "; pass --docs FOLDER");
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
int IntArg(string name, int fallback) => Arg(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

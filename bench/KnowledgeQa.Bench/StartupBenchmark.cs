using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace KnowledgeQa.Bench;

/// <summary>
/// Start-up of the real kqa binary (the installed tool, or the build given): cold child processes of
/// `kqa --version`, `kqa docs` and `kqa ask` (an English and a Chinese question) on the sample knowledge base,
/// medians of --runs N (7), interleaved. Each reports wall time AND the child's CPU time (user+system from
/// getrusage(RUSAGE_CHILDREN)), since on a shared machine wall time mostly measures the wait for a core; and
/// the JIT time and methods JIT-compiled inside kqa (KQA_STARTUP_TIMINGS=1), so ReadyToRun's share shows.
/// In the same run, the same binary with one thing changed each, as ratios: the model cache off (everything
/// derived at every start), float32 instead of int8, ReadyToRun code ignored (DOTNET_ReadyToRun=0), TieredPGO
/// off, ONNX Runtime's thread spinning on, sentence embeddings in the answer off.
/// --baseline PATH adds another kqa (for example a build of an older commit) as the "before".
/// Then the breakdown: <see cref="StartupProbe"/> in fresh processes, stage by stage, with the JIT time of each.
/// Options: --kqa PATH (default: kqa on PATH, else the Release build under src/Cli), --baseline PATH, --runs N.
/// </summary>
internal static partial class StartupBenchmark
{
    private const string English = "How long does a full charge take?";
    private const string Chinese = "電池充滿電需要多久？";

    public static async Task RunAsync(string[] options)
    {
        var runs = BenchArgs.Int(options, "--runs", 7);
        var kqa = BenchArgs.String(options, "--kqa") ?? FindKqa();
        var baseline = BenchArgs.String(options, "--baseline");
        var samples = Path.Combine(RepositoryRoot(), "samples", "docs");
        var work = Path.Combine(Path.GetTempPath(), $"kqa-bench-startup-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        Console.WriteLine($"load average at start: {LoadAverage.Read()}; {Environment.ProcessorCount} cores");
        Console.WriteLine($"kqa: {kqa}{(baseline is null ? "" : $"; baseline: {baseline}")}");
        try
        {
            // Stores for each variant, ingested by the binary itself (not timed); then one ask warms the cache.
            var int8Store = Path.Combine(work, "int8");
            var fp32Store = Path.Combine(work, "fp32");
            await RunKqaAsync(kqa, ["--data", int8Store, "--embedding-precision", "int8", "ingest", samples], []);
            await RunKqaAsync(kqa, ["--data", fp32Store, "--embedding-precision", "fp32", "ingest", samples], []);
            await RunKqaAsync(kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", English], []);
            await RunKqaAsync(kqa, ["--data", fp32Store, "--embedding-precision", "fp32", "ask", English], []);

            var cases = new List<(string Name, string Program, string[] Args, Dictionary<string, string> Environment)>
            {
                ("kqa --version", kqa, ["--version"], []),
                ("kqa docs", kqa, ["--data", int8Store, "docs"], []),
                ("kqa ask (English)", kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", English], []),
                ("kqa ask (Chinese: jieba loads)", kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", Chinese], []),
                ("ask, fp32 model", kqa, ["--data", fp32Store, "--embedding-precision", "fp32", "ask", English], []),
                ("ask, model cache off", kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", English], new() { ["KQA__Embedding__UseCache"] = "false" }),
                ("ask, fp32 + cache off (model from the resource, graph optimised at start)", kqa,
                    ["--data", fp32Store, "--embedding-precision", "fp32", "ask", English], new() { ["KQA__Embedding__UseCache"] = "false" }),
                ("ask, ReadyToRun code ignored (all JIT)", kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", English], new() { ["DOTNET_ReadyToRun"] = "0" }),
                ("ask, TieredPGO off", kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", English], new() { ["DOTNET_TieredPGO"] = "0" }),
                ("ask, TieredCompilation quick JIT off", kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", English], new() { ["DOTNET_TC_QuickJitForLoops"] = "0" }),
                ("ask, ONNX Runtime thread spinning on", kqa, ["--data", int8Store, "--embedding-precision", "int8", "ask", English],
                    new() { ["KQA__Embedding__AllowThreadSpinning"] = "true" }),
                ("kqa search (English; no answer step)", kqa, ["--data", int8Store, "--embedding-precision", "int8", "search", English], []),
            };
            if (baseline is not null)
            {
                var baselineStore = Path.Combine(work, "baseline");
                await RunKqaAsync(baseline, ["--data", baselineStore, "ingest", samples], []);
                cases.Add(("baseline kqa ask", baseline, ["--data", baselineStore, "ask", English], []));
                cases.Add(("baseline kqa ask (Chinese)", baseline, ["--data", baselineStore, "ask", Chinese], []));
            }

            var times = cases.ToDictionary(c => c.Name, _ => new List<ChildRun>());
            for (var r = 0; r < runs; r++)
            {
                foreach (var (name, program, args, environment) in cases)
                    times[name].Add(await RunKqaAsync(program, args, environment));
            }

            var reference = Stats.Median(times["kqa ask (English)"].Select(t => t.Wall));
            var referenceCpu = Stats.Median(times["kqa ask (English)"].Select(t => t.Cpu));
            Console.WriteLine();
            Console.WriteLine($"| command ({runs} cold processes each) | median wall | median CPU (user+sys) | wall vs kqa ask | CPU vs kqa ask | JIT ms (methods) | walls (s) | CPUs (s) |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var (name, _, _, _) in cases)
            {
                var wall = Stats.Median(times[name].Select(t => t.Wall));
                var cpu = Stats.Median(times[name].Select(t => t.Cpu));
                var jit = Stats.Median(times[name].Select(t => t.JitMs));
                var methods = Stats.Median(times[name].Select(t => t.JitMethods));
                Console.WriteLine($"| {name} | {wall:0.000} s | {cpu:0.000} s | {wall / reference:0.00}x | {cpu / referenceCpu:0.00}x | " +
                                  $"{(double.IsNaN(jit) ? "" : $"{jit:0} ({methods:0})")} | " +
                                  $"{string.Join(" ", times[name].Select(t => t.Wall.ToString("0.00", CultureInfo.InvariantCulture)))} | " +
                                  $"{string.Join(" ", times[name].Select(t => t.Cpu.ToString("0.00", CultureInfo.InvariantCulture)))} |");
            }
            Console.WriteLine($"load average after the cold processes: {LoadAverage.Read()}");

            await StartupProbe.ReportAsync(int8Store, runs, English);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        Console.WriteLine($"load average at end: {LoadAverage.Read()}");
    }

    /// <summary>One cold kqa process: wall seconds, the child's CPU seconds, and what it said of its JIT (NaN: not told).</summary>
    internal readonly record struct ChildRun(double Wall, double Cpu, double JitMs, double JitMethods);

    /// <summary>Runs kqa to its end and measures it; a failure stops the benchmark.</summary>
    internal static async Task<ChildRun> RunKqaAsync(string program, string[] args, Dictionary<string, string> environment)
    {
        var start = program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { program } }
            : new ProcessStartInfo(program);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("KQA__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["KQA_STARTUP_TIMINGS"] = "1";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var cpuBefore = ChildCpu.Seconds();
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        watch.Stop();
        var cpu = ChildCpu.Seconds() - cpuBefore;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        var timings = TimingsLine().Match(await stderr);
        return new ChildRun(watch.Elapsed.TotalSeconds, cpu,
            timings.Success ? double.Parse(timings.Groups["jit"].Value, CultureInfo.InvariantCulture) : double.NaN,
            timings.Success ? double.Parse(timings.Groups["methods"].Value, CultureInfo.InvariantCulture) : double.NaN);
    }

    // The line kqa prints with KQA_STARTUP_TIMINGS=1 (src/Cli/Infrastructure/StartupTimings.cs).
    [System.Text.RegularExpressions.GeneratedRegex(@"kqa-timings: .*jit_ms=(?<jit>\d+) jit_methods=(?<methods>\d+)")]
    private static partial System.Text.RegularExpressions.Regex TimingsLine();

    private static string FindKqa()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(folder, "kqa");
            if (File.Exists(candidate))
                return candidate;
        }
        var built = Path.Combine(RepositoryRoot(), "src", "Cli", "bin", "Release", "net10.0", "kqa");
        return File.Exists(built)
            ? built
            : throw new InvalidOperationException("No kqa on PATH and no Release build: run tools/install-kqa.sh or pass --kqa PATH.");
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "KnowledgeQa.sln")))
                return directory.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}

/// <summary>
/// The stages of a cold `kqa ask` as the library runs them, timed inside a fresh process (this benchmark's own
/// executable, started with "startup-probe"): runtime start, services, the embedding model (model file,
/// session, tokenizer), jieba's dictionary, SQLite open, the first query embedding, the dense index load,
/// the answer. Each stage also reports the JIT time it spent (System.Runtime.JitInfo). This process is not
/// ReadyToRun-compiled, so its JIT share is higher than the installed tool's.
/// </summary>
internal static class StartupProbe
{
    public const string Command = "startup-probe";
    private const string JiebaStage = "jieba dictionary (only when Chinese text comes; not part of an English ask)";

    public static async Task ReportAsync(string store, int runs, string question)
    {
        var samples = new List<Dictionary<string, ProbeStage>>();
        for (var r = 0; r < runs; r++)
        {
            var output = await ProbeProcess.RunAsync(Command, store, question);
            samples.Add(JsonSerializer.Deserialize<List<ProbeStage>>(output, JsonOptions)!.ToDictionary(s => s.Stage));
        }

        Console.WriteLine();
        Console.WriteLine($"Breakdown of a cold ask inside the library (median of {runs} fresh processes; JIT-compiled, not ReadyToRun):");
        Console.WriteLine("| stage | wall ms | CPU ms (all threads) | JIT ms (all threads) |");
        Console.WriteLine("| --- | --- | --- | --- |");
        double total = 0, totalCpu = 0;
        foreach (var stage in samples[0].Keys)
        {
            var ms = Stats.Median(samples.Select(s => s[stage].Ms));
            var cpu = Stats.Median(samples.Select(s => s[stage].CpuMs));
            if (stage != JiebaStage)
            {
                total += ms;
                totalCpu += double.IsNaN(cpu) ? 0 : cpu;
            }
            Console.WriteLine($"| {stage} | {ms:0} | {Show(cpu)} | {Show(Stats.Median(samples.Select(s => s[stage].JitMs)))} |");
        }
        Console.WriteLine($"| total of an English ask | {total:0} | {totalCpu:0} | |");
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static string Show(double value) => double.IsNaN(value) ? "" : value.ToString("0", CultureInfo.InvariantCulture);

    /// <summary>The probe itself, in its own process: prints the stages as JSON.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var stages = new List<ProbeStage>
        {
            new("runtime start to Main (host, runtime, this assembly)", (DateTime.UtcNow - processStart).TotalMilliseconds, double.NaN, 0),
        };
        var store = args[0];
        var question = args[1];
        var watch = new Stopwatch();
        var jit = TimeSpan.Zero;
        var cpu = TimeSpan.Zero;
        using var self = Process.GetCurrentProcess();
        TimeSpan Cpu()
        {
            self.Refresh();
            return self.TotalProcessorTime;
        }
        stages[0] = stages[0] with { CpuMs = Cpu().TotalMilliseconds };
        void Begin()
        {
            jit = System.Runtime.JitInfo.GetCompilationTime();
            cpu = Cpu();
            watch.Restart();
        }
        void End(string stage) =>
            stages.Add(new ProbeStage(stage, watch.Elapsed.TotalMilliseconds, (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds,
                (Cpu() - cpu).TotalMilliseconds));

        Begin();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        // Registered before AddKnowledgeQa (whose registrations are TryAdd): every embedding call is timed.
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>>(
            services, sp => new TimedEmbeddings(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<KnowledgeQa.Retrieval.Embeddings.OnnxEmbeddingGenerator>(sp)));
        KnowledgeQa.Plugins.Hosting.ServiceCollectionExtensions.AddKnowledgeQa(services, o =>
        {
            o.DataDirectory = store;
            o.Embedding.Precision = KnowledgeQa.Retrieval.Embeddings.EmbeddingPrecision.Int8;
        });
        await using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        T Get<T>() where T : notnull => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(provider);
        End("configuration and services");

        Begin();
        var generator = Get<KnowledgeQa.Retrieval.Embeddings.OnnxEmbeddingGenerator>();
        watch.Stop();
        var report = generator.LoadReport;
        var loadJit = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds;
        var loadCpu = (Cpu() - cpu).TotalMilliseconds;
        stages.Add(new ProbeStage("embedding model: tokenizer (vocabulary)", report.TokenizerTime.TotalMilliseconds, double.NaN, double.NaN));
        stages.Add(new ProbeStage($"embedding model: model file ({(report.ModelFile is null ? "in memory" : "cached file")})",
            report.ModelFileTime.TotalMilliseconds, double.NaN, double.NaN));
        stages.Add(new ProbeStage("embedding model: ONNX Runtime session (graph, weights, optimisation)",
            report.SessionTime.TotalMilliseconds, double.NaN, double.NaN));
        stages.Add(new ProbeStage("embedding model: the rest (checks, metadata); JIT and CPU columns: the whole model load",
            watch.Elapsed.TotalMilliseconds - report.TokenizerTime.TotalMilliseconds - report.ModelFileTime.TotalMilliseconds - report.SessionTime.TotalMilliseconds,
            loadJit, loadCpu));

        Begin();
        var knowledge = Get<KnowledgeQa.Retrieval.Storage.IKnowledgeStore>();
        await knowledge.GetStatisticsAsync();
        End("SQLite open");

        Begin();
        var vector = (await generator.GenerateAsync([question]))[0].Vector;
        End("first query embedding");

        Begin();
        await knowledge.SearchAsync(new KnowledgeQa.Retrieval.Storage.StoreQuery { Vector = vector, Mode = KnowledgeQa.Retrieval.Storage.SearchMode.Dense, Top = 5 });
        End("dense index load and first search");

        var timed = (TimedEmbeddings)Get<Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>>();
        var (textsBefore, embedBefore) = (timed.Texts, timed.Elapsed);
        Begin();
        await Get<KnowledgeQa.Agents.Answering.GroundedAnswerer>().AskAsync(question);
        watch.Stop();
        var answerCpu = (Cpu() - cpu).TotalMilliseconds;
        var answerJit = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds;
        var embedMs = (timed.Elapsed - embedBefore).TotalMilliseconds;
        stages.Add(new ProbeStage($"answer: embedding calls (the question, and {timed.Texts - textsBefore - 1} passage sentences for sentence-level evidence)",
            embedMs, double.NaN, double.NaN));
        stages.Add(new ProbeStage("answer: the rest (hybrid search, relevance, extractive answer); JIT and CPU columns: the whole answer",
            watch.Elapsed.TotalMilliseconds - embedMs, answerJit, answerCpu));
        stages.Add(new ProbeStage($"jieba dictionary loaded during the English ask: {(KnowledgeQa.Retrieval.Lexical.ChineseWordSegmenter.IsLoaded ? "yes" : "no")}", 0, 0, 0));

        Begin();
        Get<KnowledgeQa.Retrieval.Lexical.ILexicalEncoder>().Tokenize("電池充電");
        End(JiebaStage);

        Console.WriteLine(JsonSerializer.Serialize(stages, JsonOptions));
        return 0;
    }

    /// <summary>A stage's wall time, the JIT time and CPU time of the whole process meanwhile (NaN: not measured apart).</summary>
    private sealed record ProbeStage(string Stage, double Ms, double JitMs, double CpuMs);
}

/// <summary>Times every embedding call of the probe, so the answer's own embedding work shows apart.</summary>
internal sealed class TimedEmbeddings(Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> inner)
    : Microsoft.Extensions.AI.DelegatingEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>(inner)
{
    public int Texts { get; private set; }

    public TimeSpan Elapsed { get; private set; }

    public override async Task<Microsoft.Extensions.AI.GeneratedEmbeddings<Microsoft.Extensions.AI.Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, Microsoft.Extensions.AI.EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var started = Stopwatch.GetTimestamp();
        var result = await base.GenerateAsync(texts, options, cancellationToken);
        Elapsed += Stopwatch.GetElapsedTime(started);
        Texts += texts.Count;
        return result;
    }
}

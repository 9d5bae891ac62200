using System.ClientModel;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Plugins.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KnowledgeQa.Server.Tests.OpenAi;

/// <summary>
/// The tests that read telemetry run alone: ActivitySources and Meters are process-wide, so
/// requests of other test classes running at the same time would land in these exporters.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ObservedServerCollection
{
    public const string Name = "observed server";
}

/// <summary>
/// The real kqa server (KqaServer.Build, Kestrel on a free loopback port, embedded SQLite store,
/// the real ONNX embedding model) with its OpenTelemetry set-up on and in-memory exporters beside
/// it, holding the two test documents.
/// </summary>
public abstract class ObservedServer : IAsyncLifetime
{
    public const string ApiKey = "observed-key-7d2e";

    /// <summary>The test's own spans, to give each request a trace of its own.</summary>
    public static readonly ActivitySource TestSource = new("KnowledgeQa.Server.Tests");

    private readonly LockedCollection<Activity> _spans = new();
    private readonly LockedCollection<MetricSnapshot> _metrics = new();

    public TempFolder Folder { get; } = new();
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public ActivityTraceId UploadTrace { get; private set; }

    /// <summary>The chat model the server runs; none by default (answers are extractive).</summary>
    protected virtual ChatModelOptions ChatModel => new();

    public async ValueTask InitializeAsync()
    {
        var data = Path.Combine(Folder.Path, "kb");
        App = KqaServer.Build(
            new ServerSettings { Urls = ["http://127.0.0.1:0"], ApiKey = ApiKey },
            services => services.AddKnowledgeQa(options =>
            {
                options.DataDirectory = data;
                options.Chat = ChatModel;
            }),
            logging => logging.SetMinimumLevel(LogLevel.Warning),
            telemetry => telemetry
                .WithTracing(tracing => tracing.AddSource(TestSource.Name).AddInMemoryExporter(_spans))
                .WithMetrics(metrics => metrics.AddInMemoryExporter(_metrics)));
        await App.StartAsync(TestContext.Current.CancellationToken);
        BaseAddress = new Uri(KqaServer.Addresses(App).Single());

        using var client = CreateClient();
        using var upload = TestSource.StartActivity("upload");
        UploadTrace = upload!.TraceId;
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(TestDocuments.BatteryText)), "file", "battery.md" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(TestDocuments.WarrantyText)), "file", "warranty.md" },
        };
        (await client.PostAsync("/v1/documents", form, TestContext.Current.CancellationToken)).Dispose();
    }

    public HttpClient CreateClient(string? apiKey = ApiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (apiKey is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>Asks through POST /v1/ask in a trace of its own; the spans of that trace are the ask's.</summary>
    public async Task<IReadOnlyList<Activity>> AskTracedAsync(string question)
    {
        ActivityTraceId trace;
        using (var test = TestSource.StartActivity("ask test")!)
        {
            trace = test.TraceId;
            using var client = CreateClient();
            using var response = await client.PostAsync("/v1/ask",
                new StringContent(System.Text.Json.JsonSerializer.Serialize(new { question }), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            response.EnsureSuccessStatusCode();
        }
        return await SpansOfAsync(trace, "POST /v1/ask");
    }

    /// <summary>The official OpenAI SDK pointed at this server, as a user points any OpenAI client at it.</summary>
    public ChatClient ChatClient(string model = "knowledge-base", string apiKey = ApiKey) =>
        new(model, new ApiKeyCredential(apiKey), ClientOptions());

    public OpenAIClient OpenAIClient() => new(new ApiKeyCredential(ApiKey), ClientOptions());

    private OpenAIClientOptions ClientOptions() => new() { Endpoint = new Uri(BaseAddress, "v1") };

    /// <summary>
    /// The spans of one trace once its server span has ended (the client can have its response a
    /// moment before the server closes the request's span).
    /// </summary>
    public async Task<IReadOnlyList<Activity>> SpansOfAsync(ActivityTraceId trace, string serverSpan)
    {
        for (var attempt = 0; ; attempt++)
        {
            App.Services.GetRequiredService<TracerProvider>().ForceFlush();
            var spans = _spans.Snapshot().Where(s => s.TraceId == trace).ToList();
            if (spans.Any(s => s.Kind == ActivityKind.Server && s.DisplayName == serverSpan) || attempt == 100)
                return spans;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The latest value of every metric (cumulative since the server started).</summary>
    public IReadOnlyDictionary<string, MetricSnapshot> CollectMetrics()
    {
        App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var latest = new Dictionary<string, MetricSnapshot>();
        foreach (var metric in _metrics.Snapshot())
            latest[metric.Name] = metric;
        return latest;
    }

    /// <summary>
    /// The metrics once <paramref name="ready"/> holds of them, or after a few seconds: ASP.NET Core records a
    /// request's duration after its response has gone out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, MetricSnapshot>> CollectMetricsAsync(Func<IReadOnlyDictionary<string, MetricSnapshot>, bool> ready)
    {
        for (var attempt = 0; ; attempt++)
        {
            var metrics = CollectMetrics();
            if (ready(metrics) || attempt == 100)
                return metrics;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Folder.Dispose();
    }
}

/// <summary>No chat model: answers are extractive.</summary>
public sealed class ExtractiveServer : ObservedServer;

/// <summary>The tiny committed ONNX Runtime GenAI model as the chat model.</summary>
public sealed class TinyModelServer : ObservedServer
{
    public static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-llama");

    protected override ChatModelOptions ChatModel => new() { ModelPath = ModelPath, MaxOutputTokens = 24 };
}

/// <summary>A list the exporters add to from their threads while a test reads it.</summary>
internal sealed class LockedCollection<T> : ICollection<T>
{
    private readonly List<T> _items = [];

    public int Count { get { lock (_items) return _items.Count; } }
    public bool IsReadOnly => false;

    public List<T> Snapshot() { lock (_items) return [.. _items]; }

    public void Add(T item) { lock (_items) _items.Add(item); }
    public void Clear() { lock (_items) _items.Clear(); }
    public bool Contains(T item) { lock (_items) return _items.Contains(item); }
    public void CopyTo(T[] array, int arrayIndex) { lock (_items) _items.CopyTo(array, arrayIndex); }
    public bool Remove(T item) { lock (_items) return _items.Remove(item); }
    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace KnowledgeQa.Server.Tests;

/// <summary>
/// A caller that cancels or goes away stops the work done for it: the cancellation reaches the
/// embedding model (held by a gate in front of the real one) and the chat model (an OpenAI-compatible
/// endpoint on loopback that never answers, so only a dropped request ends its call).
/// </summary>
public sealed class CancellationTests : IAsyncLifetime
{
    private const string Key = "cancel-key";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    private readonly TempFolder _folder = new();
    private HeldChatEndpoint _chat = null!;
    private WebApplication _app = null!;
    private EmbeddingGate _gate = null!;

    public async ValueTask InitializeAsync()
    {
        _chat = await HeldChatEndpoint.StartAsync();
        _app = KqaServer.Build(new ServerSettings { Urls = ["http://127.0.0.1:0"], ApiKey = Key }, services =>
        {
            services.AddSingleton(sp => new EmbeddingGate(sp.GetRequiredService<OnnxEmbeddingGenerator>()));
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<EmbeddingGate>());
            services.AddKnowledgeQa(options =>
            {
                options.DataDirectory = Path.Combine(_folder.Path, "kb");
                options.Chat = new ChatModelOptions { Endpoint = _chat.BaseUrl, ModelName = "held" };
            });
        }, logging => logging.SetMinimumLevel(LogLevel.Critical));
        await _app.StartAsync(Ct);
        _gate = _app.Services.GetRequiredService<EmbeddingGate>();
        using var client = Client();
        var upload = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(TestDocuments.BatteryText)), "file", "battery.md" } };
        (await client.PostAsync("/v1/documents", upload, Ct)).EnsureSuccessStatusCode();
        // The warm-up embeds too: let it finish before a test arms the gate.
        await Readiness.WaitAsync(client, TimeSpan.FromMinutes(2), Ct);
    }

    [Fact]
    public async Task Cancelling_an_mcp_ask_drops_the_chat_models_request()
    {
        await using var mcp = await McpAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = mcp.CallToolAsync("ask", new Dictionary<string, object?> { ["question"] = "How long does a full charge take?" }, cancellationToken: cancel.Token).AsTask();

        await _chat.Received.WaitAsync(Guard, Ct);
        await cancel.CancelAsync();

        await _chat.Abandoned.WaitAsync(Guard, Ct);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task A_client_that_goes_away_from_a_rest_ask_drops_the_chat_models_request()
    {
        using var client = Client();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = client.PostAsJsonAsync("/v1/ask", new { question = "How long does a full charge take?" }, cancel.Token);

        await _chat.Received.WaitAsync(Guard, Ct);
        await cancel.CancelAsync();

        await _chat.Abandoned.WaitAsync(Guard, Ct);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task A_cancel_notification_over_stateless_http_stops_the_call_it_names()
    {
        // Clients that keep the POST open and send notifications/cancelled instead (the MCP way):
        // with no session to route it, the server matches it to the caller's request by id.
        using var client = Client();
        var call = client.SendAsync(McpPost("""{"jsonrpc": "2.0", "id": "call-7", "method": "tools/call", "params": {"name": "ask", "arguments": {"question": "How long does a full charge take?"}}}"""),
            HttpCompletionOption.ResponseHeadersRead, Ct);
        await _chat.Received.WaitAsync(Guard, Ct);

        var cancelled = await client.SendAsync(McpPost("""{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "call-7", "reason": "user"}}"""), Ct);

        Assert.True(cancelled.IsSuccessStatusCode);
        await _chat.Abandoned.WaitAsync(Guard, Ct);
        (await call).Dispose();
    }

    private static HttpRequestMessage McpPost(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }

    [Fact]
    public async Task Cancelling_an_mcp_classify_stops_the_embedding_of_its_labels()
    {
        await using var mcp = await McpAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var held = _gate.HoldNext();
        var call = mcp.CallToolAsync("classify", new Dictionary<string, object?> { ["text"] = "late parcel", ["labels"] = "shipping,billing,returns" }, cancellationToken: cancel.Token).AsTask();

        await held.Started.WaitAsync(Guard, Ct);
        await cancel.CancelAsync();

        await held.Cancelled.WaitAsync(Guard, Ct);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task A_client_that_goes_away_from_a_rest_search_stops_its_query_embedding()
    {
        using var client = Client();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var held = _gate.HoldNext();
        var call = client.PostAsJsonAsync("/v1/search", new { query = "full charge" }, cancel.Token);

        await held.Started.WaitAsync(Guard, Ct);
        await cancel.CancelAsync();

        await held.Cancelled.WaitAsync(Guard, Ct);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    private HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = new Uri(KqaServer.Addresses(_app).Single()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return client;
    }

    private Task<McpClient> McpAsync() => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(new Uri(KqaServer.Addresses(_app).Single()), "/mcp"),
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + Key },
    }), cancellationToken: Ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _chat.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>
    /// The real embedding model behind a gate: when armed, the next call waits, as a long embedding
    /// would, until its cancellation token fires, and reports that it did.
    /// </summary>
    private sealed class EmbeddingGate(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        private Hold? _armed;

        public Hold HoldNext() => _armed = new Hold();

        public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _armed, null) is { } hold)
            {
                hold.Start();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    hold.Cancel();
                    throw;
                }
            }
            return await base.GenerateAsync(values, options, cancellationToken);
        }

        public sealed class Hold
        {
            private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
            private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public Task Started => _started.Task;
            public Task Cancelled => _cancelled.Task;
            public void Start() => _started.TrySetResult();
            public void Cancel() => _cancelled.TrySetResult();
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KnowledgeQa.Cli.Tests;

/// <summary>What a test reads back from a stand-in OpenTelemetry collector, whatever the protocol.</summary>
public interface IOtlpCollector : IDisposable
{
    /// <summary>The URL to give the exporter.</summary>
    string Endpoint { get; }

    /// <summary>The export messages received for one signal ("traces", "metrics" or "logs"), decoded as UTF-8 for searching.</summary>
    IReadOnlyList<string> Bodies(string signal);

    /// <summary>The content types of the export requests received.</summary>
    IReadOnlyList<string> ContentTypes { get; }

    /// <summary>Waits until <paramref name="received"/> holds, for at most two minutes.</summary>
    async Task WaitForAsync(Func<bool> received, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 600 && !received(); attempt++)
            await Task.Delay(200, cancellationToken);
    }
}

/// <summary>
/// A stand-in OpenTelemetry collector on loopback: accepts OTLP/HTTP exports (POST /v1/traces,
/// /v1/metrics, /v1/logs) and keeps their bodies. OTLP protobuf carries names and string values as
/// plain UTF-8, so a test can look for a span name or a metric name in the bytes.
/// </summary>
public sealed class OtlpReceiver : IOtlpCollector
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Path, string ContentType, byte[] Body)> _exports = new();
    private readonly Task _loop;

    public OtlpReceiver()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<string> Bodies(string signal) =>
        _exports.Where(e => e.Path == "/v1/" + signal).Select(e => Encoding.UTF8.GetString(e.Body)).ToList();

    public IReadOnlyList<string> ContentTypes => _exports.Select(e => e.ContentType).Distinct().ToList();

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _exports.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType ?? "", body.ToArray()));
            // An empty Export*ServiceResponse: everything was accepted.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    /// <summary>A loopback port free at the moment of asking.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}

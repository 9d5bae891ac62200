using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// A stand-in OpenTelemetry collector on loopback that speaks OTLP over gRPC, as a collector's port 4317
/// does: a real Kestrel server taking HTTP/2 without TLS (prior knowledge, as gRPC clients send to an
/// http:// endpoint), answering each unary Export call with an empty message and grpc-status 0 in the
/// trailers. The gRPC framing is read here (one flag byte, a 4-byte big-endian length, the message), so
/// what is kept is the OTLP protobuf message itself.
/// </summary>
public sealed class OtlpGrpcReceiver : IOtlpCollector
{
    private static readonly Dictionary<string, string> SignalsByMethod = new(StringComparer.Ordinal)
    {
        ["/opentelemetry.proto.collector.trace.v1.TraceService/Export"] = "traces",
        ["/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"] = "metrics",
        ["/opentelemetry.proto.collector.logs.v1.LogsService/Export"] = "logs",
    };

    private readonly ConcurrentQueue<(string Signal, string ContentType, byte[] Message)> _exports = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly WebApplication _app;

    public OtlpGrpcReceiver()
    {
        Port = OtlpReceiver.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, Port, listen => listen.Protocols = HttpProtocols.Http2));
        _app = builder.Build();
        _app.MapPost("/{**method}", ExportAsync);
        _app.StartAsync().GetAwaiter().GetResult();
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<string> Bodies(string signal) =>
        _exports.Where(e => e.Signal == signal).Select(e => Encoding.UTF8.GetString(e.Message)).ToList();

    public IReadOnlyList<string> ContentTypes => _exports.Select(e => e.ContentType).Distinct().ToList();

    /// <summary>Calls that were not well-formed OTLP gRPC exports (an unknown method, a bad frame), for the test's failure message.</summary>
    public IReadOnlyList<string> Problems => _problems.ToList();

    private async Task ExportAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var frame = body.ToArray();

        context.Response.ContentType = "application/grpc";
        if (!SignalsByMethod.TryGetValue(path, out var signal))
        {
            _problems.Enqueue($"unknown method {path}");
            context.Response.AppendTrailer("grpc-status", "12"); // UNIMPLEMENTED
            return;
        }
        if (frame.Length < 5 || frame[0] != 0 || BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1, 4)) != frame.Length - 5)
        {
            _problems.Enqueue($"{path}: not one uncompressed gRPC message ({frame.Length} bytes)");
            context.Response.AppendTrailer("grpc-status", "3"); // INVALID_ARGUMENT
            return;
        }

        _exports.Enqueue((signal, context.Request.ContentType ?? "", frame[5..]));
        // An empty Export*ServiceResponse (everything accepted), framed, then the status in the trailers.
        await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

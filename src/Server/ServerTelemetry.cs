using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Retrieval;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace KnowledgeQa.Server;

/// <summary>
/// OpenTelemetry for kqa serve: KnowledgeQa's spans and metrics, ASP.NET Core and HttpClient
/// instrumentation, and the logs, exported over OTLP to <see cref="ServerSettings.OtlpEndpoint"/>.
/// Without an endpoint (and no <c>configure</c>) nothing is set up and nothing leaves the process.
/// </summary>
public static class ServerTelemetry
{
    public const string ServiceName = "kqa";

    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";

    /// <param name="configure">More exporters or instrumentation (tests add in-memory exporters); also turns the set-up on without an endpoint.</param>
    public static void AddTo(WebApplicationBuilder builder, ServerSettings settings, Action<IOpenTelemetryBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var endpoint = OtlpEndpoint(settings);
        if (endpoint is null && configure is null)
            return;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceVersion: typeof(ServerTelemetry).Assembly.GetName().Version?.ToString()))
            .AddKnowledgeQaInstrumentation()
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation())
            .WithLogging();
        if (endpoint is not null)
            telemetry.UseOtlpExporter(Protocol(settings.OtlpProtocol), endpoint);
        configure?.Invoke(telemetry);
    }

    /// <summary>The OTLP endpoint as a URL; null when none is set.</summary>
    /// <exception cref="InvalidOptionException">The endpoint is not an http(s) URL or the protocol is unknown.</exception>
    public static Uri? OtlpEndpoint(ServerSettings settings)
    {
        Protocol(settings.OtlpProtocol);
        if (string.IsNullOrWhiteSpace(settings.OtlpEndpoint))
            return null;
        if (!Uri.TryCreate(settings.OtlpEndpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOptionException(
                $"--otlp-endpoint '{settings.OtlpEndpoint}' is not an http(s) URL; give the collector's address, e.g. http://localhost:4317 (gRPC) or http://localhost:4318 with --otlp-protocol http/protobuf.");
        }
        return uri;
    }

    private static OtlpExportProtocol Protocol(string? protocol) => protocol?.ToLowerInvariant() switch
    {
        null or "" or Grpc => OtlpExportProtocol.Grpc,
        HttpProtobuf or "http" => OtlpExportProtocol.HttpProtobuf,
        _ => throw new InvalidOptionException($"--otlp-protocol '{protocol}' is not an OTLP protocol: use {Grpc} or {HttpProtobuf}."),
    };
}

using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Server;

/// <summary>
/// How kqa serve listens and guards itself: configuration section KnowledgeQa:Server
/// (appsettings.json) or KQA__Server__... environment variables, then --urls / --api-key on top.
/// </summary>
public sealed class ServerSettings
{
    public const string SectionName = "Server";

    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Addresses to listen on; empty means <see cref="DefaultUrl"/> (an empty default, because the
    /// configuration binder appends to a list it finds filled).</summary>
    public IReadOnlyList<string> Urls { get; set; } = [];

    /// <summary>When set, every endpoint but /healthz needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The largest upload request (all files together); default: one file at the reader limit plus room for the form.</summary>
    public long MaxUploadBytes { get; set; } = new ReaderOptions().MaxFileBytes + 1024 * 1024;

    /// <summary>The largest JSON request body (search, ask, classify).</summary>
    public long MaxJsonBytes { get; set; } = 256 * 1024;

    /// <summary>Most files in one upload.</summary>
    public int MaxUploadFiles { get; set; } = 100;

    /// <summary>
    /// Where kqa serve sends traces, metrics and logs over OTLP (an OpenTelemetry collector, Jaeger,
    /// Aspire's dashboard...); unset exports nothing. See <see cref="ServerTelemetry"/>.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>OTLP over "grpc" (default; port 4317 by convention) or "http/protobuf" (port 4318).</summary>
    public string OtlpProtocol { get; set; } = ServerTelemetry.Grpc;

    /// <summary>How long a shutdown waits for requests in flight.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

using KnowledgeQa.Plugins.Requests;
using KnowledgeQa.Retrieval;
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

    /// <summary>
    /// When set, every endpoint but /healthz needs <c>Authorization: Bearer KEY</c>. This key is the
    /// admin key: it sees and changes every tenant's documents.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Keys bound to one tenant each (configuration <c>Server:Keys:0:Key</c> / <c>Server:Keys:0:Tenant</c>).
    /// A request with such a key searches, asks, lists, uploads and deletes only that tenant's
    /// documents, over the REST API and MCP alike. With keys here and no <see cref="ApiKey"/>, every
    /// request still needs one of these keys.
    /// </summary>
    public IReadOnlyList<TenantKey> Keys { get; set; } = [];

    /// <summary>
    /// How document sources appear in results: <see cref="SourcePathDisplay.Relative"/> (default: the
    /// path inside the ingested folder, or the file name, never the server's absolute path) or
    /// <see cref="SourcePathDisplay.Full"/>.
    /// </summary>
    public SourcePathDisplay SourcePaths { get; set; } = SourcePathDisplay.Relative;

    /// <summary>Load the embedding model, the store and the chat model at start, so the first request is not the slow one; /healthz says "starting" until they are loaded.</summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>The largest upload request (all files together); default: one file at the reader limit plus room for the form.</summary>
    public long MaxUploadBytes { get; set; } = new ReaderOptions().MaxFileBytes + 1024 * 1024;

    /// <summary>
    /// After an upload of at least this many bytes, the server runs one compacting garbage collection
    /// once it has answered, so that the memory the upload needed goes back to the system instead of
    /// staying with an idle server (see <see cref="LargeRequestMemory"/>); 0 never does.
    /// </summary>
    public long CompactMemoryAfterBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>The largest JSON request body (search, ask, classify).</summary>
    public long MaxJsonBytes { get; set; } = RequestLimits.MaxMessageBytes;

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

    /// <summary>Whether any key is configured (then every guarded endpoint needs one).</summary>
    public bool RequiresKey => !string.IsNullOrEmpty(ApiKey) || Keys.Count > 0;

    /// <summary>Throws <see cref="InvalidOptionException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        foreach (var url in Urls)
        {
            if (ListenAddresses.Problem(url) is { } problem)
                throw new InvalidOptionException($"--urls / Server:Urls '{url}' {problem}: give addresses such as http://127.0.0.1:5080 or http://0.0.0.0:5080.");
        }
        if (MaxUploadFiles < 1)
            throw new InvalidOptionException($"Server:MaxUploadFiles must be at least 1 (got {MaxUploadFiles}).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Keys.Count; i++)
        {
            var key = Keys[i];
            if (string.IsNullOrWhiteSpace(key.Key))
                throw new InvalidOptionException($"Server:Keys:{i}:Key is empty: give each tenant key a secret value.");
            if (string.IsNullOrWhiteSpace(key.Tenant))
                throw new InvalidOptionException($"Server:Keys:{i}:Tenant is empty: a tenant key must name its tenant (the admin key is Server:ApiKey).");
            if (!seen.Add(key.Key) || key.Key == ApiKey)
                throw new InvalidOptionException($"Server:Keys:{i}:Key is also used by another key; every key must be unique.");
        }
    }
}

/// <summary>An API key confined to one tenant's documents.</summary>
public sealed class TenantKey
{
    public string Key { get; set; } = "";
    public string Tenant { get; set; } = "";
}

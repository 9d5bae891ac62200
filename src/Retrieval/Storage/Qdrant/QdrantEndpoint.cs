namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// A Qdrant gRPC address as the user wrote it, normalised: a missing scheme means http, a missing
/// port means 6334 (Qdrant's gRPC port, also on Qdrant Cloud), https means TLS.
/// </summary>
public sealed record QdrantEndpoint(Uri Address)
{
    public const int GrpcPort = 6334;
    public const int RestPort = 6333;

    /// <summary>The command that starts a local Qdrant, quoted in every "cannot reach" message.</summary>
    public const string DockerCommand = "docker run -p 6333:6333 -p 6334:6334 qdrant/qdrant";

    public bool UsesTls => Address.Scheme == Uri.UriSchemeHttps;

    public override string ToString() => Address.GetLeftPart(UriPartial.Authority);

    public static QdrantEndpoint Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new InvalidOptionException(
                $"{QdrantStoreOptions.ConfigurationPath}:Url is empty: set --qdrant-url (or KQA__Store__Qdrant__Url), for example {QdrantStoreOptions.DefaultUrl}.");
        }

        var text = url.Trim();
        var hasScheme = text.Contains("://", StringComparison.Ordinal);
        if (!hasScheme)
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new InvalidOptionException(
                $"{QdrantStoreOptions.ConfigurationPath}:Url '{url}' is not a URL: use http://host:6334 (or https://host:6334 for TLS).");
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOptionException(
                $"{QdrantStoreOptions.ConfigurationPath}:Url '{url}' has scheme '{uri.Scheme}': use http:// or https:// (kqa speaks gRPC over HTTP/2).");
        }

        var port = HasExplicitPort(text, uri) ? uri.Port : GrpcPort;
        var builder = new UriBuilder(uri.Scheme, uri.Host, port);
        return new QdrantEndpoint(builder.Uri);
    }

    // Uri reports 80/443 both for "host" and "host:80"; only an explicit port in the text counts.
    private static bool HasExplicitPort(string text, Uri uri)
    {
        var authority = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var end = authority.IndexOfAny(['/', '?', '#']);
        if (end >= 0)
        {
            authority = authority[..end];
        }

        var hostEnd = authority.LastIndexOf(']');
        var colon = authority.LastIndexOf(':');
        return colon > hostEnd && colon < authority.Length - 1 && uri.Port > 0;
    }

    /// <summary>A hint for the classic mistake of pointing a gRPC client at Qdrant's REST port.</summary>
    public string? PortHint => Address.Port == RestPort
        ? $" Port {RestPort} is Qdrant's REST port; kqa talks gRPC, normally on port {GrpcPort}."
        : null;
}

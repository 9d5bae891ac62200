using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Opens the gRPC channel to Qdrant: HTTP/2 over TCP (TLS for https), a bounded connect time so an
/// unreachable server is reported within seconds, keep-alive pings for long-lived cluster
/// connections, and the api-key header on every call.
/// </summary>
internal static class QdrantChannelFactory
{
    public static (GrpcChannel Channel, CallInvoker Invoker) Create(QdrantEndpoint endpoint, QdrantStoreOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = true,
        };

        if (endpoint.UsesTls && options.CertificateThumbprint is { } thumbprint)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None || (certificate is X509Certificate2 cert && MatchesThumbprint(cert, thumbprint)),
            };
        }

        var channel = GrpcChannel.ForAddress(endpoint.Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // Scroll pages of chunks with vectors and text can exceed gRPC's 4 MB default.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });

        CallInvoker invoker = channel.CreateCallInvoker();
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            var key = options.ApiKey;
            invoker = invoker.Intercept(metadata =>
            {
                metadata.Add("api-key", key);
                return metadata;
            });
        }

        return (channel, invoker);
    }

    /// <summary>True when the certificate's SHA-256 or SHA-1 thumbprint equals <paramref name="expected"/> (hex, colons allowed).</summary>
    public static bool MatchesThumbprint(X509Certificate2 certificate, string expected)
    {
        var normalized = expected.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        return string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), normalized, StringComparison.OrdinalIgnoreCase)
            || string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA1), normalized, StringComparison.OrdinalIgnoreCase);
    }
}

using System.Net;
using Microsoft.AspNetCore.Http;

namespace KnowledgeQa.Server;

/// <summary>
/// Kestrel's listening addresses (<c>http://127.0.0.1:5080</c>, <c>http://*:5080</c>, <c>http://+:80</c>, ...):
/// whether one can be listened on, whether it stays on this machine, and where a browser finds the web app.
/// </summary>
public static class ListenAddresses
{
    /// <summary>
    /// Why Kestrel could not listen on <paramref name="url"/>, found before it tries (which ends in a
    /// stack trace); null when it can.
    /// </summary>
    public static string? Problem(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return "is not an address to listen on";
        }
        if (address.IsNamedPipe || address.IsUnixPipe)
            return null;
        if (address.Scheme is not ("http" or "https"))
            return $"has the scheme '{address.Scheme}'; only http and https are served";
        // Kestrel reads a host it cannot parse ("127.0.0.1:port") as a name, and would listen on every address.
        return AsUri(url) is null ? "is not a valid http address (host and port)" : null;
    }

    /// <summary>Whether <paramref name="address"/> is reachable from this machine only.</summary>
    public static bool IsLoopback(string address) =>
        AsUri(address) is { } uri && (uri.IsLoopback || (HostIp(uri) is { } ip && IPAddress.IsLoopback(ip)));

    /// <summary>
    /// The address to open in a browser for one listening address: the web app's page, with a
    /// wildcard host (0.0.0.0, [::], *, +) shown as localhost, which a browser can open.
    /// </summary>
    public static string WebAppUrl(string address)
    {
        if (AsUri(address) is not { } uri)
            return address;
        var host = HostIp(uri) is { } ip && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)) ? "localhost" : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port, "/").Uri.ToString();
    }

    /// <summary>The address as a URI, Kestrel's wildcard hosts (+, *) read as 0.0.0.0.</summary>
    private static Uri? AsUri(string address) =>
        Uri.TryCreate(address.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0"), UriKind.Absolute, out var uri) ? uri : null;

    private static IPAddress? HostIp(Uri uri) => IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : null;
}

using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;

namespace KnowledgeQa.Server;

/// <summary>One file of the web app, ready to send: its bytes, a gzip copy and a content hash for ETags.</summary>
public sealed record WebAppAsset(string Path, string ContentType, byte[] Content, byte[] Gzip, string ETag);

/// <summary>
/// The web app's files (src/Server/WebApp), embedded in this assembly so that they ship inside the
/// kqa tool and any host app: no web root on disk, no CDN. They are small, so all of them are read
/// and gzipped once, at first request.
/// </summary>
public sealed class WebAppAssets
{
    private const string ResourcePrefix = "WebApp/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    private readonly IReadOnlyDictionary<string, WebAppAsset> _assets;

    private WebAppAssets(IReadOnlyDictionary<string, WebAppAsset> assets) => _assets = assets;

    public static WebAppAssets Embedded { get; } = Load(typeof(WebAppAssets).Assembly);

    /// <summary>The asset at <paramref name="path"/> (relative to WebApp/, '/' separated); null when there is none.</summary>
    public WebAppAsset? Find(string path) => _assets.GetValueOrDefault(path);

    public IEnumerable<WebAppAsset> All => _assets.Values;

    private static WebAppAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, WebAppAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            // The project names resources WebApp/<relative path>; on Windows the separators arrive as '\'.
            var path = name.Replace('\\', '/');
            if (!path.StartsWith(ResourcePrefix, StringComparison.Ordinal))
                continue;
            path = path[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(System.IO.Path.GetExtension(path), out var contentType))
                continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            assets[path] = new WebAppAsset(path, contentType, content, Compress(content),
                "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"");
        }
        return new WebAppAssets(assets);
    }

    private static byte[] Compress(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
            gzip.Write(content);
        return output.ToArray();
    }
}

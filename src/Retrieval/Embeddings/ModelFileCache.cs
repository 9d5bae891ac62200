using System.Security.Cryptography;
using System.Text;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// The folder of files derived from embedding models: the bundled model unpacked from its resource and int8
/// variants. Each model gets a sub-folder named after a hash of its <see cref="EmbeddingModelSource.Identity"/>,
/// and each file's name carries what else it derives from (the quantizer's version), so a changed model or
/// quantizer gets new files instead of stale ones. Files are written
/// to a temporary name and renamed into place, so a reader sees a whole file or none, even with several
/// processes starting at once.
/// </summary>
internal sealed class ModelFileCache
{
    private ModelFileCache(string root) => Root = root;

    public string Root { get; }

    /// <summary>The cache the options ask for; null when caching is off or no cache folder can be named.</summary>
    public static ModelFileCache? Create(EmbeddingOptions options)
    {
        if (!options.UseCache)
        {
            return null;
        }
        var root = string.IsNullOrWhiteSpace(options.CacheDirectory) ? DefaultRoot() : Path.GetFullPath(options.CacheDirectory);
        return root is null ? null : new ModelFileCache(root);
    }

    /// <summary>The user's cache folder for KnowledgeQa, as each platform names it.</summary>
    public static string? DefaultRoot()
    {
        string? baseFolder;
        if (OperatingSystem.IsWindows())
        {
            baseFolder = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        }
        else if (OperatingSystem.IsMacOS())
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            baseFolder = string.IsNullOrEmpty(home) ? null : Path.Combine(home, "Library", "Caches");
        }
        else
        {
            baseFolder = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(baseFolder) || !Path.IsPathRooted(baseFolder))
            {
                var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                baseFolder = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache");
            }
        }
        return string.IsNullOrEmpty(baseFolder) ? null : Path.Combine(baseFolder, "knowledgeqa");
    }

    /// <summary>The folder of one model's derived files.</summary>
    public string FolderFor(EmbeddingModelSource source) =>
        Path.Combine(Root, "embeddings", $"{SafeName(source.ModelId)}-{Hash(source.Identity)}");

    /// <summary>
    /// The path of <paramref name="fileName"/> in <paramref name="folder"/>, written by <paramref name="write"/>
    /// first when it is not there. Null when the file cannot be written (read-only or full disk): the caller
    /// then works in memory. <paramref name="created"/> says whether this call wrote it.
    /// </summary>
    public static string? GetOrCreate(string folder, string fileName, Action<Stream> write, out bool created)
    {
        created = false;
        var path = Path.Combine(folder, fileName);
        if (File.Exists(path))
        {
            return path;
        }
        var temporary = TemporaryPathFor(path);
        try
        {
            Directory.CreateDirectory(folder);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            created = true;
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            return null;
        }
    }

    /// <summary>Deletes the files of <paramref name="folder"/> that match <paramref name="pattern"/>, except <paramref name="keep"/> (best effort).</summary>
    public static void DeleteOthers(string folder, string pattern, string keep)
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, pattern))
            {
                if (!string.Equals(Path.GetFileName(file), keep, StringComparison.Ordinal))
                {
                    TryDelete(file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only disk space is at stake.
        }
    }

    /// <summary>A name beside <paramref name="path"/> that no other process uses, for writing before the rename.</summary>
    public static string TemporaryPathFor(string path) =>
        $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file that cannot be removed is only disk space; the next writer replaces it.
        }
    }

    /// <summary>A short hex hash of a key, for file and folder names.</summary>
    public static string Hash(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 8));

    private static string SafeName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }
        return builder.Length == 0 ? "model" : builder.ToString();
    }
}

using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// Turns the paths given to an ingest into the files to read, each with its path relative to the
/// ingest root ('/' separators: for a folder the root is the folder, for a file its parent, so the
/// relative path is the file name); the pipeline makes document ids of them. Folders are walked recursively in ordinal name order;
/// hidden, excluded and unsupported files, symbolic link loops and missing paths come back with a
/// <see cref="DiscoveredFile.SkipReason"/> so they can be reported. Files named explicitly are
/// always offered to the readers. Whether a file's bytes can be read is the reader registry's call.
/// </summary>
public sealed class FileDiscovery
{
    private const int MaxLinkHops = 40;

    private readonly DiscoveryOptions _options;
    private readonly FileDiscoveryGlob[] _include;
    private readonly FileDiscoveryGlob[] _exclude;
    private readonly HashSet<string> _extensions;

    public FileDiscovery(DiscoveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _include = options.Include.Select(pattern => new FileDiscoveryGlob(pattern)).ToArray();
        _exclude = options.Exclude.Select(pattern => new FileDiscoveryGlob(pattern)).ToArray();
        _extensions = options.Extensions.Select(e => e.StartsWith('.') ? e : "." + e).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public IEnumerable<DiscoveredFile> Discover(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        // Real paths already listed, so a file reached twice (overlapping arguments, links) is read
        // once; ids already given, so two files never write over each other's chunks.
        var listedFiles = new Dictionary<string, string>(PathComparer);
        var usedIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            foreach (var found in DiscoverOne(path, listedFiles))
            {
                if (found.SkipReason is null && usedIds.TryGetValue(found.RelativePath, out var other))
                {
                    yield return found with
                    {
                        SkipReason = $"relative path '{found.RelativePath}' is already used by {other}: ingest these folders separately or from a common parent",
                        Skip = SkipKind.Duplicate,
                    };
                    continue;
                }
                if (found.SkipReason is null)
                    usedIds[found.RelativePath] = found.FullPath;
                yield return found;
            }
        }
    }

    private static StringComparer PathComparer => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
        ? StringComparer.OrdinalIgnoreCase
        : StringComparer.Ordinal;

    private IEnumerable<DiscoveredFile> DiscoverOne(string path, Dictionary<string, string> listedFiles)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            yield return new DiscoveredFile(path ?? "", path ?? "", "empty path") { Skip = SkipKind.NotFound };
            yield break;
        }
        string fullPath;
        try
        {
            fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            fullPath = path;
        }
        var name = Path.GetFileName(fullPath) is { Length: > 0 } n ? n : fullPath;

        if (FileLinks.BrokenLinkTarget(fullPath) is { } target)
        {
            yield return new DiscoveredFile(fullPath, name, $"broken symbolic link (points to '{target}')") { Skip = SkipKind.BrokenLink };
            yield break;
        }
        if (File.Exists(fullPath))
        {
            var real = RealPath(fullPath);
            if (listedFiles.TryGetValue(real, out var firstId))
            {
                yield return new DiscoveredFile(fullPath, name, $"already listed as '{firstId}'") { Skip = SkipKind.Duplicate };
                yield break;
            }
            listedFiles[real] = name;
            yield return new DiscoveredFile(fullPath, name, null);
            yield break;
        }
        if (!Directory.Exists(fullPath))
        {
            yield return new DiscoveredFile(fullPath, name, "not found") { Skip = SkipKind.NotFound };
            yield break;
        }

        foreach (var found in Walk(fullPath, listedFiles))
            yield return found;
    }

    private sealed record Folder(string FullPath, string RelativePath, string RealPath, Folder? Parent);

    private IEnumerable<DiscoveredFile> Walk(string root, Dictionary<string, string> listedFiles)
    {
        var pending = new Stack<Folder>();
        pending.Push(new Folder(root, "", RealPath(root), null));
        var visitedFolders = new Dictionary<string, string>(PathComparer);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            if (visitedFolders.TryGetValue(folder.RealPath, out var firstVisit))
            {
                var loop = IsAncestor(folder, folder.RealPath);
                yield return new DiscoveredFile(folder.FullPath, folder.RelativePath, loop
                    ? $"symbolic link loop (leads back to '{(firstVisit.Length == 0 ? "." : firstVisit)}')"
                    : $"already walked as '{firstVisit}'") { Skip = loop ? SkipKind.LinkLoop : SkipKind.Duplicate, IsFolder = true };
                continue;
            }
            visitedFolders[folder.RealPath] = folder.RelativePath;

            FileSystemInfo[] entries;
            string? listError = null;
            try
            {
                entries = new DirectoryInfo(folder.FullPath).GetFileSystemInfos();
                Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                entries = [];
                listError = e is UnauthorizedAccessException ? "cannot list the folder: permission denied" : $"cannot list the folder: {e.Message}";
            }
            if (listError is not null)
            {
                yield return new DiscoveredFile(folder.FullPath, folder.RelativePath, listError) { Skip = SkipKind.Unlistable, IsFolder = true };
                continue;
            }

            // Folders go on a stack: push in reverse so they come off in name order, after this
            // folder's files. The order is deterministic either way.
            var subfolders = new List<Folder>();
            foreach (var entry in entries)
            {
                var relative = folder.RelativePath.Length == 0 ? entry.Name : folder.RelativePath + "/" + entry.Name;
                bool isFolder = entry is DirectoryInfo;
                if (!_options.IncludeHidden && IsHidden(entry))
                {
                    yield return new DiscoveredFile(entry.FullName, relative, "hidden (set IncludeHidden to read hidden files)") { Skip = SkipKind.Hidden, IsFolder = isFolder };
                    continue;
                }
                if (_exclude.FirstOrDefault(glob => glob.IsMatch(relative, entry.Name)) is { } excludedBy)
                {
                    yield return new DiscoveredFile(entry.FullName, relative, $"excluded by '{excludedBy.Pattern}'") { Skip = SkipKind.Excluded, IsFolder = isFolder };
                    continue;
                }
                if (isFolder)
                {
                    subfolders.Add(new Folder(entry.FullName, relative, FolderRealPath(entry, folder), folder));
                    continue;
                }
                if (FileSkipReason(entry, relative) is { } reason)
                {
                    yield return new DiscoveredFile(entry.FullName, relative, reason.Text) { Skip = reason.Kind };
                    continue;
                }
                var real = entry.LinkTarget is null ? Path.Combine(folder.RealPath, entry.Name) : RealPath(entry.FullName);
                if (listedFiles.TryGetValue(real, out var firstId))
                {
                    yield return new DiscoveredFile(entry.FullName, relative, $"already listed as '{firstId}'") { Skip = SkipKind.Duplicate };
                    continue;
                }
                listedFiles[real] = relative;
                yield return new DiscoveredFile(entry.FullName, relative, null);
            }
            for (int i = subfolders.Count - 1; i >= 0; i--)
                pending.Push(subfolders[i]);
        }
    }

    private (SkipKind Kind, string Text)? FileSkipReason(FileSystemInfo entry, string relative)
    {
        if (FileLinks.BrokenLinkTarget(entry.FullName) is { } target)
            return (SkipKind.BrokenLink, $"broken symbolic link (points to '{target}')");
        if (UnixFileKind.DescribeSpecialFile(entry.FullName) is { } special)
            return (SkipKind.NotRegularFile, $"not a regular file ({special})");
        bool included = _include.Any(glob => glob.IsMatch(relative, entry.Name));
        if (_include.Length > 0 && !included)
            return (SkipKind.NotIncluded, "not matched by the include patterns");
        var extension = Path.GetExtension(entry.Name);
        if (!included && extension.Length > 0 && !_extensions.Contains(extension))
            return (SkipKind.UnsupportedType, $"unsupported file type '{extension}'");
        return null;
    }

    private static bool IsHidden(FileSystemInfo entry) =>
        entry.Name.StartsWith('.') || (OperatingSystem.IsWindows() && entry.Attributes.HasFlag(FileAttributes.Hidden));

    private static bool IsAncestor(Folder folder, string realPath)
    {
        for (var parent = folder.Parent; parent is not null; parent = parent.Parent)
        {
            if (PathComparer.Equals(parent.RealPath, realPath))
                return true;
        }
        return false;
    }

    private static string FolderRealPath(FileSystemInfo entry, Folder parent) =>
        entry.LinkTarget is null ? Path.Combine(parent.RealPath, entry.Name) : RealPath(entry.FullName);

    /// <summary>
    /// The path with every symbolic link resolved, component by component (a link's target may
    /// itself run through links). Gives up after 40 hops, like the kernel, and returns what it has.
    /// </summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        for (int hops = 0; hops <= MaxLinkHops; hops++)
        {
            var root = Path.GetPathRoot(full) ?? "";
            var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
                .Where(part => part.Length > 0).ToArray();
            var current = root;
            string? restart = null;
            for (int i = 0; i < parts.Length; i++)
            {
                var candidate = Path.Combine(current, parts[i]);
                string? target;
                try
                {
                    target = new FileInfo(candidate).LinkTarget;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    target = null;
                }
                if (target is null)
                {
                    current = candidate;
                    continue;
                }
                var resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                restart = Path.GetFullPath(Path.Combine([resolved, .. parts[(i + 1)..]]));
                break;
            }
            if (restart is null)
                return Path.TrimEndingDirectorySeparator(current);
            full = restart;
        }
        return full;
    }
}

using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>One path of an ingest, resolved to the source it belongs to.</summary>
/// <param name="Source">The folder source (name and root) the path's documents go to.</param>
/// <param name="Path">The full path given: the root itself, a folder inside it, or one file.</param>
/// <param name="RelativeFolder">For a folder: its path relative to the root ('' for the root itself).</param>
/// <param name="Absorbed">Folder sources whose roots lie inside this root (synced as part of it, then unbound).</param>
internal sealed record IngestTarget(SourceBinding Source, string Path, bool IsFolder, string RelativeFolder, IReadOnlyList<SourceBinding> Absorbed)
{
    public string Root => Source.Root!;

    /// <summary>The whole root is synced (not a folder inside it or one file).</summary>
    public bool IsWholeRoot => IsFolder && RelativeFolder.Length == 0;
}

/// <summary>
/// Decides which source each ingested path belongs to, before anything is written:
/// <list type="bullet">
/// <item>a path inside (or equal to) the root of a folder source already in the store updates that
/// source (a folder inside it is a partial sync of that folder, a file updates one document);</item>
/// <item>otherwise a folder becomes a source named after the folder, and a file a source named after
/// its parent folder (rooted there: ingesting the parent later syncs the same source);</item>
/// <item>a name bound to another root, or to uploads, is refused with both paths and the options
/// (--source, --rebind) unless rebinding was asked for.</item>
/// </list>
/// Missing paths and unreadable folders are refused up front, so a mistyped path writes nothing.
/// </summary>
internal sealed class SourceResolver(IKnowledgeStore store)
{
    private static StringComparer PathComparer => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
        ? StringComparer.OrdinalIgnoreCase
        : StringComparer.Ordinal;

    private static StringComparison PathComparison => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
        ? StringComparison.OrdinalIgnoreCase
        : StringComparison.Ordinal;

    public async Task<IReadOnlyList<IngestTarget>> ResolveAsync(IReadOnlyList<string> paths, IngestionOptions options, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
            throw new InvalidOptionException("no path to ingest: give one or more files or folders.");
        if (options.SourceName is { } given)
        {
            if (DocumentIds.ProblemWithSourceName(given) is { } problem)
                throw new InvalidOptionException($"--source '{given}': {problem}.");
            if (paths.Count > 1)
                throw new InvalidOptionException("--source names one root: ingest one path at a time when you give it.");
        }

        var resolved = paths.Select(Check).ToList();
        var sources = new Dictionary<string, SourceBinding>(StringComparer.Ordinal);
        await foreach (var source in store.ListSourcesAsync(cancellationToken).ConfigureAwait(false))
            sources[source.Name] = source;
        var folders = sources.Values.Where(s => s.Kind == SourceKind.Folder && s.Root is not null).ToList();

        var targets = new List<IngestTarget>();
        foreach (var (full, isFolder) in resolved)
        {
            var target = options.SourceName is { } name
                ? Named(name, full, isFolder, sources, folders, options.Rebind)
                : Enclosing(full, isFolder, folders) ?? Named(DefaultName(full, isFolder), full, isFolder, sources, folders, options.Rebind);
            targets.Add(target);
        }

        // One run cannot give one name two roots.
        foreach (var group in targets.GroupBy(t => t.Source.Name, StringComparer.Ordinal))
        {
            var roots = group.Select(t => t.Root).Distinct(PathComparer).ToList();
            if (roots.Count > 1)
                throw new SourceConflictException(group.Key,
                    $"'{roots[0]}' and '{roots[1]}' would both be ingested as the source '{group.Key}': ingest them one at a time, giving each its own name with --source NAME.");
        }
        return targets;
    }

    /// <summary>
    /// Binds each target's source (atomically in the store) and checks that no other process bound
    /// the name elsewhere in the meantime.
    /// </summary>
    public async Task BindAsync(IReadOnlyList<IngestTarget> targets, bool rebind, CancellationToken cancellationToken)
    {
        foreach (var target in targets.DistinctBy(t => t.Source.Name))
        {
            // Already bound here: no write (a re-run must not wait for another process's lock to find that out).
            if ((await store.GetSourceAsync(target.Source.Name, cancellationToken).ConfigureAwait(false))?.SameTarget(target.Source) == true)
                continue;
            var inForce = await store.BindSourceAsync(target.Source, rebind, cancellationToken).ConfigureAwait(false);
            if (!inForce.SameTarget(target.Source))
                throw Conflict(inForce, target.Path);
        }
    }

    private static (string Full, bool IsFolder) Check(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new IngestionPathException(path ?? "", "an empty path was given: name a file or folder to ingest.");
        string full;
        try
        {
            full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new IngestionPathException(path, $"'{path}' is not a usable path ({e.Message}).");
        }
        if (File.Exists(full))
            return (full, false);
        if (!Directory.Exists(full))
            throw new IngestionPathException(path, $"'{path}' does not exist (looked for '{full}'): check the path; nothing was ingested.");
        try
        {
            using var entries = Directory.EnumerateFileSystemEntries(full).GetEnumerator();
            entries.MoveNext();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IngestionPathException(path, $"the folder '{full}' cannot be read ({(e is UnauthorizedAccessException ? "permission denied" : e.Message)}): nothing was ingested or removed.");
        }
        return (full, true);
    }

    private static IngestTarget Named(
        string name, string full, bool isFolder, Dictionary<string, SourceBinding> sources, List<SourceBinding> folders, bool rebind)
    {
        // A path inside this very source updates it, as without --source.
        if (!rebind && sources.TryGetValue(name, out var same) && same.Kind == SourceKind.Folder && same.Root is not null && IsInside(full, same.Root))
            return Enclosing(full, isFolder, [same])!;
        var root = isFolder ? full : System.IO.Path.GetDirectoryName(full)!;
        // A path inside another source would give its files a second id each.
        if (folders.Where(s => s.Name != name && IsInside(full, s.Root!)).MaxBy(s => s.Root!.Length) is { } outer)
            throw new SourceConflictException(outer.Name,
                $"'{full}' lies inside the folder of the source '{outer.Name}' ('{outer.Root}'), whose documents already include its files: " +
                $"ingest it without --source to update them there.");

        var wanted = new SourceBinding(name, SourceKind.Folder, root);
        if (sources.TryGetValue(name, out var bound) && !bound.SameTarget(wanted) && !rebind)
            throw Conflict(bound, full);
        var absorbed = isFolder
            ? folders.Where(s => s.Name != name && IsInside(s.Root!, root) && !PathComparer.Equals(s.Root, root)).ToList()
            : [];
        return new IngestTarget(wanted, full, isFolder, "", absorbed);
    }

    /// <summary>The folder source whose root holds <paramref name="full"/> (the innermost), as a target; null when none does.</summary>
    private static IngestTarget? Enclosing(string full, bool isFolder, List<SourceBinding> folders)
    {
        var source = folders.Where(s => IsInside(full, s.Root!)).MaxBy(s => s.Root!.Length);
        if (source is null)
            return null;
        var relative = isFolder ? Relative(source.Root!, full) : "";
        var absorbed = isFolder && relative.Length == 0
            ? folders.Where(s => s.Name != source.Name && IsInside(s.Root!, full) && !PathComparer.Equals(s.Root, full)).ToList()
            : [];
        return new IngestTarget(source, full, isFolder, relative, absorbed);
    }

    private static string DefaultName(string full, bool isFolder)
    {
        var folder = isFolder ? full : System.IO.Path.GetDirectoryName(full) ?? full;
        var name = System.IO.Path.GetFileName(folder);
        if (DocumentIds.ProblemWithSourceName(name) is { } problem)
            throw new InvalidOptionException($"the folder '{folder}' cannot name a source ({problem}): give a name with --source NAME.");
        return name;
    }

    private static SourceConflictException Conflict(SourceBinding bound, string path) => bound.Kind == SourceKind.Upload
        ? new SourceConflictException(bound.Name,
            $"the source name '{bound.Name}' holds documents uploaded over HTTP, not a folder, so '{path}' cannot be ingested under it: " +
            $"give the folder another name with --source NAME, or take the name over with --rebind (its uploaded documents are then removed by the sync).")
        : new SourceConflictException(bound.Name,
            $"the source name '{bound.Name}' is bound to '{bound.Root}', and '{path}' is another folder: " +
            $"give it its own name with --source NAME (for example --source {Suggest(path, bound.Name)}), or move '{bound.Name}' to the new folder " +
            $"with --rebind (its documents then mirror the new folder).");

    private static string Suggest(string path, string name)
    {
        var parent = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(path.TrimEnd(System.IO.Path.DirectorySeparatorChar)) ?? "");
        var suggestion = parent.Length > 0 ? $"{parent}-{name}" : name + "-2";
        return DocumentIds.ProblemWithSourceName(suggestion) is null ? suggestion : name + "-2";
    }

    public static bool IsInside(string path, string root) =>
        PathComparer.Equals(path, root)
        || (path.Length > root.Length
            && path.StartsWith(root, PathComparison)
            && (path[root.Length] == System.IO.Path.DirectorySeparatorChar || root.EndsWith(System.IO.Path.DirectorySeparatorChar)));

    public static string Relative(string root, string path) =>
        PathComparer.Equals(root, path) ? "" : System.IO.Path.GetRelativePath(root, path).Replace('\\', '/');
}

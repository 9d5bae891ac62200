using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// What a run knows about one source while it prepares that source's files: remembered failures
/// (to tell new ones from old ones), and the tags of documents about to go away, so a renamed or
/// adopted file keeps them.
/// </summary>
internal sealed record SourceContext(
    string? SourceName,
    IReadOnlyDictionary<string, IngestFailure> Failures,
    Dictionary<string, IReadOnlyList<string>> TagsByFileHash,
    Dictionary<string, IReadOnlyList<string>> TagsBySourcePath)
{
    public static SourceContext None { get; } = new(null, new Dictionary<string, IngestFailure>(), new(), new());
}

/// <summary>
/// The files of an ingest, each with its document id (<c>SOURCE/path-in-root</c>), and the sync that
/// follows the adds: documents of a synced folder whose files are gone are removed, and so are
/// documents the sync takes over (stores from before sources, with ids relative to the folder;
/// sources whose roots lie inside a synced root) once their files are in under the new id.
/// </summary>
/// <remarks>
/// Never a mass delete by accident: a missing path or an unreadable root is refused before this
/// plan exists, an empty root that still has documents in the store is refused here, documents
/// under folders the walk could not enter (unlistable, hidden, excluded, link loops) and of files
/// it left out are kept, and nothing is pruned after a run the store stopped.
/// </remarks>
internal sealed class FolderSyncPlan
{
    internal sealed record PlannedFile(DiscoveredFile File, string DocumentId, SourceContext Context, long Bytes);

    private sealed record Target(IngestTarget Resolved, SourceContext Context, HashSet<string> SeenIds, List<string> ProtectedPrefixes);

    private readonly IKnowledgeStore _store;
    private readonly List<Target> _targets;
    private readonly List<StoredDocument> _documents;

    private FolderSyncPlan(IKnowledgeStore store, List<Target> targets, List<StoredDocument> documents, List<PlannedFile> files)
    {
        _store = store;
        _targets = targets;
        _documents = documents;
        Files = files;
    }

    public IReadOnlyList<PlannedFile> Files { get; }

    public static async Task<FolderSyncPlan> CreateAsync(
        IKnowledgeStore store, IReadOnlyList<IngestTarget> targets, IngestionOptions options, CancellationToken cancellationToken)
    {
        var documents = new List<StoredDocument>();
        await foreach (var document in store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
            documents.Add(document);

        var discovery = new FileDiscovery(options.Discovery);
        var planned = new List<PlannedFile>();
        var planTargets = new List<Target>();
        var contexts = new Dictionary<string, SourceContext>(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var name = target.Source.Name;
            var found = discovery.Discover([target.Path]).ToList();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var protectedPrefixes = new List<string>();
            var files = new List<(DiscoveredFile File, string Id)>();
            foreach (var file in found)
            {
                var id = DocumentIds.Compose(name, SourceResolver.Relative(target.Root, file.FullPath));
                seen.Add(id);
                if (file.IsSkipped && file.IsFolder)
                    protectedPrefixes.Add(id + "/");
                files.Add((file, id));
            }

            var scope = DocumentIds.Prefix(name, target.RelativeFolder);
            var leaving = target.IsFolder
                ? documents.Where(d => d.SourceName == name && d.Id.StartsWith(scope, StringComparison.Ordinal) && !seen.Contains(d.Id)).ToList()
                : [];
            if (target.IsFolder && found.Count == 0 && Directory.Exists(target.Path) && !Directory.EnumerateFileSystemEntries(target.Path).Any()
                && documents.Any(d => d.SourceName == name && d.Id.StartsWith(scope, StringComparison.Ordinal)))
            {
                throw new IngestionPathException(target.Path,
                    $"the folder '{target.Path}' is empty, but the store holds {documents.Count(d => d.SourceName == name && d.Id.StartsWith(scope, StringComparison.Ordinal))} " +
                    $"documents from it (source '{name}'); nothing was removed. If it is empty on purpose, remove them with: kqa delete --source {name}");
            }

            if (!contexts.TryGetValue(name, out var context))
            {
                var failures = (await store.ListFailuresAsync(name, cancellationToken).ConfigureAwait(false)).ToDictionary(f => f.DocumentId, StringComparer.Ordinal);
                context = new SourceContext(name, failures, new(StringComparer.Ordinal), new(StringComparer.Ordinal));
                contexts[name] = context;
            }
            foreach (var document in leaving)
            {
                if (FileFingerprint.FileHashOf(document.FileFingerprint) is { } hash && document.Tags.Count > 0)
                    context.TagsByFileHash.TryAdd(hash, document.Tags);
            }
            foreach (var document in Adoptable(documents, target))
            {
                if (document.Tags.Count > 0)
                    context.TagsBySourcePath.TryAdd(document.Source, document.Tags);
            }

            foreach (var (file, id) in files)
            {
                // Overlapping paths of one run (a folder and a file in it) read a file once.
                var duplicate = !file.IsSkipped && !ids.Add(id);
                var entry = duplicate ? file with { SkipReason = $"already listed as '{id}'", Skip = SkipKind.Duplicate } : file;
                planned.Add(new PlannedFile(entry, id, context, entry.IsSkipped ? 0 : SizeOf(entry.FullPath)));
            }
            planTargets.Add(new Target(target, context, seen, protectedPrefixes));
        }
        return new FolderSyncPlan(store, planTargets, documents, planned);
    }

    /// <summary>
    /// Removes what the sync says must go, after the adds of <paramref name="results"/>; returns
    /// one <see cref="IngestionOutcome.Removed"/> result per removed document.
    /// </summary>
    public async Task<IReadOnlyList<IngestionFileResult>> PruneAsync(IReadOnlyList<IngestionFileResult> results, CancellationToken cancellationToken)
    {
        var inNow = results
            .Where(r => r.Outcome is IngestionOutcome.Added or IngestionOutcome.Replaced or IngestionOutcome.Unchanged)
            .Select(r => r.Path)
            .ToHashSet(StringComparer.Ordinal);
        var removed = new List<IngestionFileResult>();
        var removedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in _targets.Where(t => t.Resolved.IsFolder))
        {
            var name = target.Resolved.Source.Name;
            var scope = DocumentIds.Prefix(name, target.Resolved.RelativeFolder);
            bool Protected(string id) => target.ProtectedPrefixes.Any(p => id.StartsWith(p, StringComparison.Ordinal));

            var gone = _documents.Where(d => d.SourceName == name && d.Id.StartsWith(scope, StringComparison.Ordinal)
                                             && !target.SeenIds.Contains(d.Id) && !Protected(d.Id));
            // Taken over: in now under this source's id, or its file is gone from the folder.
            var adopted = Adoptable(_documents, target.Resolved).Where(d =>
                inNow.Contains(d.Source)
                || (!File.Exists(d.Source) && !Protected(DocumentIds.Compose(name, SourceResolver.Relative(target.Resolved.Root, d.Source)))));

            foreach (var document in gone.Concat(adopted).Where(d => removedIds.Add(d.Id)).ToList())
            {
                if (await _store.DeleteDocumentAsync(document.Id, cancellationToken).ConfigureAwait(false))
                {
                    removed.Add(new IngestionFileResult(document.Source, document.Id, IngestionOutcome.Removed, document.ChunkCount)
                    {
                        SourceName = document.SourceName,
                    });
                }
            }

            // A remembered failure of a file that is gone is forgotten with it.
            foreach (var failure in target.Context.Failures.Values.Where(f =>
                         f.DocumentId.StartsWith(scope, StringComparison.Ordinal) && !target.SeenIds.Contains(f.DocumentId) && !Protected(f.DocumentId)))
                await _store.ClearFailureAsync(failure.DocumentId, cancellationToken).ConfigureAwait(false);

            foreach (var absorbed in target.Resolved.Absorbed)
            {
                var left = _documents.Any(d => d.SourceName == absorbed.Name && !removedIds.Contains(d.Id));
                if (!left)
                    await _store.RemoveSourceAsync(absorbed.Name, cancellationToken).ConfigureAwait(false);
            }
        }
        return removed;
    }

    /// <summary>
    /// Documents a sync of <paramref name="target"/> takes over: from stores that predate sources
    /// (no source name) and from sources it absorbs, whose files lie inside the synced folder.
    /// </summary>
    private static IEnumerable<StoredDocument> Adoptable(List<StoredDocument> documents, IngestTarget target)
    {
        var absorbed = target.Absorbed.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return documents.Where(d =>
            (d.SourceName is null || absorbed.Contains(d.SourceName))
            && Path.IsPathFullyQualified(d.Source)
            && SourceResolver.IsInside(d.Source, target.Path)
            && !SourceResolver.IsInside(target.Path, d.Source));
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}

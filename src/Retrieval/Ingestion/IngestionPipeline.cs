using System.Diagnostics;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Diagnostics;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// Files in, stored chunks out, and a store kept in step with its folders: resolve each path to
/// its source (a named root; document ids are <c>SOURCE/relative/path</c>) -> discover -> read ->
/// chunk -> lexical weights -> reuse the vectors of chunk texts the store already holds -> embed the
/// rest in batches that span documents -> write each document as soon as its vectors are there ->
/// remove the documents of a synced folder whose files are gone (last, so a rename reuses vectors).
/// A file that fails is reported (and remembered, so a re-run can tell new failures from old ones)
/// and the rest go in; unchanged files are not even read again.
/// </summary>
public sealed class IngestionPipeline
{
    public static readonly ActivitySource ActivitySource = new(RetrievalTelemetry.IngestionSourceName);

    private readonly DocumentReaderRegistry _readers;
    private readonly TextChunker _chunker;
    private readonly ChunkingOptions _chunking;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly ILexicalEncoder _lexical;
    private readonly IKnowledgeStore _store;
    private readonly string _embeddingModel;
    private readonly int _dimensions;

    public IngestionPipeline(
        DocumentReaderRegistry readers,
        TextChunker chunker,
        ChunkingOptions chunking,
        IEmbeddingGenerator<string, Embedding<float>> embedder,
        ILexicalEncoder lexical,
        IKnowledgeStore store,
        EmbeddingModelInfo model)
    {
        _readers = readers;
        _chunker = chunker;
        _chunking = chunking;
        _embedder = embedder;
        _lexical = lexical;
        _store = store;
        _embeddingModel = model.Name;
        _dimensions = model.Dimensions;
    }

    /// <summary>Test hook: called after each file or document of a run is prepared (with its position).</summary>
    internal Action<int>? AfterPrepared { get; set; }

    /// <summary>
    /// Ingests files and folders. A folder is synced: documents of its source whose files are gone
    /// are removed (unless <see cref="IngestionOptions.Prune"/> is off). Never throws for a bad file
    /// (see the summary); throws <see cref="IngestionPathException"/> for a path that does not exist
    /// or cannot be read and <see cref="SourceConflictException"/> for a source name bound elsewhere
    /// (both before anything is written), and <see cref="IngestionStoppedException"/> when the store
    /// runs out of space or stays locked (with what went in).
    /// </summary>
    public async Task<IngestionSummary> IngestAsync(
        IReadOnlyList<string> paths,
        IngestionOptions? options = null,
        IProgress<IngestionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        options ??= new IngestionOptions();
        using var activity = ActivitySource.StartActivity("ingest");
        var resolver = new SourceResolver(_store);
        var targets = await resolver.ResolveAsync(paths, options, cancellationToken).ConfigureAwait(false);
        await _store.InitializeAsync(_dimensions, _embeddingModel, cancellationToken).ConfigureAwait(false);

        var plan = await FolderSyncPlan.CreateAsync(_store, targets, options, cancellationToken).ConfigureAwait(false);
        await resolver.BindAsync(targets, options.Rebind, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("kqa.sources", plan.Files.Count);

        var settings = FileFingerprint.Settings(_readers.Options, _chunking, _embeddingModel, options.Tenant);
        var works = plan.Files.Select(file => new WorkItem(file.Bytes, (reuse, ct) => PrepareFileAsync(file, settings, options, reuse, ct))).ToList();
        var results = await NewRun(options, progress).RunAsync(works, cancellationToken).ConfigureAwait(false);
        var files = results.Select(r => r!).ToList();

        var removed = options.Prune ? await plan.PruneAsync(files, cancellationToken).ConfigureAwait(false) : [];
        return new IngestionSummary([.. files, .. removed]);
    }

    /// <summary>
    /// Ingests documents already in memory (plugin calls, evaluation sets). With
    /// <see cref="IngestionOptions.SourceName"/> they belong to that source (bound as an upload source
    /// when new; their ids must start with "NAME/"). Two documents of the batch with one id: the
    /// second is reported failed, never silently merged.
    /// </summary>
    public Task<IngestionSummary> IngestDocumentsAsync(
        IReadOnlyList<Document> documents,
        IngestionOptions? options = null,
        IProgress<IngestionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return IngestDocumentsAsync(documents.Select(DeferredDocument.From).ToList(), options, progress, cancellationToken);
    }

    /// <summary>
    /// Ingests documents that are read as the pipeline reaches them (uploads): as
    /// <see cref="IngestDocumentsAsync(IReadOnlyList{Document}, IngestionOptions?, IProgress{IngestionProgress}?, CancellationToken)"/>,
    /// and a document that cannot be read is reported failed with the reader's reason.
    /// </summary>
    public async Task<IngestionSummary> IngestDocumentsAsync(
        IReadOnlyList<DeferredDocument> documents,
        IngestionOptions? options = null,
        IProgress<IngestionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        options ??= new IngestionOptions();
        using var activity = ActivitySource.StartActivity("ingest");
        activity?.SetTag("kqa.sources", documents.Count);
        await _store.InitializeAsync(_dimensions, _embeddingModel, cancellationToken).ConfigureAwait(false);
        var context = await UploadContextAsync(documents, options, cancellationToken).ConfigureAwait(false);

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var works = new List<WorkItem>(documents.Count);
        foreach (var document in documents)
        {
            if (seen.TryGetValue(document.Id, out var first))
            {
                var duplicate = new IngestionFileResult(document.Source, document.Id, IngestionOutcome.Failed, 0,
                    $"two documents of this batch have the id '{document.Id}' (the other: '{first}'): give each its own path or id")
                { SourceName = context.SourceName };
                works.Add(new WorkItem(0, (_, _) => Task.FromResult(WorkOutcome.Done(duplicate))));
                continue;
            }
            seen[document.Id] = document.Source;
            works.Add(new WorkItem(document.Length, (reuse, ct) => PrepareDeferredAsync(document, context, options, reuse, ct)));
        }
        var results = await NewRun(options, progress).RunAsync(works, cancellationToken).ConfigureAwait(false);
        return new IngestionSummary(results.Select(r => r!).ToList());
    }

    private async Task<WorkOutcome> PrepareDeferredAsync(DeferredDocument deferred, SourceContext context, IngestionOptions options, VectorReuse reuse, CancellationToken cancellationToken)
    {
        Document document;
        try
        {
            document = await deferred.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DocumentReadException e)
        {
            return WorkOutcome.Done(new IngestionFileResult(deferred.Source, deferred.Id, IngestionOutcome.Failed, 0, e.Reason) { SourceName = context.SourceName });
        }
        if (document.Id != deferred.Id)
            throw new InvalidOperationException($"DeferredDocument '{deferred.Id}' read a document with the id '{document.Id}': give the reader the same id.");
        var existing = await _store.GetDocumentAsync(document.Id, cancellationToken).ConfigureAwait(false);
        return await PrepareAsync(document, document.Source, existing, null, context, options, reuse, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes every document of a source and its binding (and remembered failures): what
    /// <c>kqa delete --source NAME</c> does. Returns the number of documents removed, or null when
    /// the name is not bound and no document has it.
    /// </summary>
    public async Task<int?> RemoveSourceAsync(string sourceName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        var ids = new List<string>();
        await foreach (var document in _store.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (document.SourceName == sourceName)
                ids.Add(document.Id);
        }
        var removed = 0;
        foreach (var id in ids)
        {
            if (await _store.DeleteDocumentAsync(id, cancellationToken).ConfigureAwait(false))
                removed++;
        }
        var unbound = await _store.RemoveSourceAsync(sourceName, cancellationToken).ConfigureAwait(false);
        return unbound || ids.Count > 0 ? removed : null;
    }

    private IngestionRun NewRun(IngestionOptions options, IProgress<IngestionProgress>? progress) =>
        new(_embedder, _store, options, progress, AfterPrepared);

    private async Task<SourceContext> UploadContextAsync(IReadOnlyList<DeferredDocument> documents, IngestionOptions options, CancellationToken cancellationToken)
    {
        if (options.SourceName is not { } name)
            return SourceContext.None;
        if (DocumentIds.ProblemWithSourceName(name) is { } problem)
            throw new InvalidOptionException($"source '{name}': {problem}.");
        var prefix = DocumentIds.Prefix(name);
        if (documents.FirstOrDefault(d => !d.Id.StartsWith(prefix, StringComparison.Ordinal)) is { } stray)
            throw new ArgumentException($"Document '{stray.Id}' does not belong to the source '{name}': build its id with DocumentIds.Compose.", nameof(documents));

        var bound = await _store.BindSourceAsync(new SourceBinding(name, SourceKind.Upload, null), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (bound.Kind == SourceKind.Folder && !options.AllowFolderSource)
            throw new SourceConflictException(name,
                $"the source '{name}' is the folder '{bound.Root}' (kept in step by kqa ingest); uploading into it would overwrite documents the folder owns: " +
                "use another source name, or ask for it explicitly (overwrite=true over HTTP, IngestionOptions.AllowFolderSource).");
        return new SourceContext(name, new Dictionary<string, IngestFailure>(), new(), new());
    }

    private async Task<WorkOutcome> PrepareFileAsync(FolderSyncPlan.PlannedFile planned, string settings, IngestionOptions options, VectorReuse reuse, CancellationToken cancellationToken)
    {
        var file = planned.File;
        var context = planned.Context;
        IngestionFileResult Result(IngestionOutcome outcome, int chunks = 0, string? reason = null) =>
            new(file.FullPath, planned.DocumentId, outcome, chunks, reason) { SourceName = context.SourceName, Skip = file.Skip };

        if (file.SkipReason is not null)
            return WorkOutcome.Done(Result(IngestionOutcome.Skipped, reason: file.SkipReason));

        string fileHash;
        try
        {
            fileHash = await FileFingerprint.HashFileAsync(file.FullPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e is UnauthorizedAccessException ? "cannot read the file: permission denied" : $"cannot read the file: {e.Message}";
            return await FailAsync(planned, "unreadable", reason, cancellationToken).ConfigureAwait(false);
        }

        var fingerprint = FileFingerprint.Combine(fileHash, settings);
        var existing = await _store.GetDocumentAsync(planned.DocumentId, cancellationToken).ConfigureAwait(false);
        // Same bytes, same settings, same place, no new tag: the stored document is what reading would give.
        if (existing is not null && existing.FileFingerprint == fingerprint && existing.Source == file.FullPath
            && existing.SourceName == context.SourceName && !options.ReplaceTags && options.Tags.All(existing.Tags.Contains))
            return WorkOutcome.Done(Result(IngestionOutcome.Unchanged, existing.ChunkCount));

        Document document;
        try
        {
            using (ActivitySource.StartActivity("read"))
                document = await _readers.ReadFileAsync(file.FullPath, planned.DocumentId, cancellationToken).ConfigureAwait(false);
        }
        catch (DocumentReadException ex)
        {
            return await FailAsync(planned, fileHash, ex.Reason, cancellationToken).ConfigureAwait(false);
        }

        var inherited = existing is null
            ? context.TagsBySourcePath.GetValueOrDefault(file.FullPath) ?? context.TagsByFileHash.GetValueOrDefault(fileHash)
            : null;
        var outcome = await PrepareAsync(document, file.FullPath, existing ?? InheritedTags(inherited), fingerprint, context, options, reuse, cancellationToken).ConfigureAwait(false);
        if (outcome.Result is { Outcome: IngestionOutcome.Failed, Reason: { } failure })
            return await FailAsync(planned, fileHash, failure, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>A stand-in "existing document" that only carries tags to inherit (renamed or adopted file).</summary>
    private static StoredDocument? InheritedTags(IReadOnlyList<string>? tags) =>
        tags is null ? null : new StoredDocument { Id = "", Source = "", ContentHash = "", Tags = tags };

    private async Task<WorkOutcome> FailAsync(FolderSyncPlan.PlannedFile planned, string fileHash, string reason, CancellationToken cancellationToken)
    {
        var context = planned.Context;
        var known = context.Failures.GetValueOrDefault(planned.DocumentId);
        var failedBefore = known is not null && known.FileHash == fileHash;
        if (!failedBefore || known!.Reason != reason)
        {
            await _store.RecordFailureAsync(new IngestFailure(planned.DocumentId, context.SourceName, planned.File.FullPath, fileHash, reason), cancellationToken)
                .ConfigureAwait(false);
        }
        return WorkOutcome.Done(new IngestionFileResult(planned.File.FullPath, planned.DocumentId, IngestionOutcome.Failed, 0, reason)
        {
            FailedBefore = failedBefore,
            SourceName = context.SourceName,
        });
    }

    /// <summary>
    /// Chunks a document read from a file or given in memory, unless the store holds it already with
    /// the same content hash; fills the vectors it can reuse. <paramref name="existing"/> is the
    /// stored version (or a carrier of inherited tags); a real id means "replace".
    /// </summary>
    private async Task<WorkOutcome> PrepareAsync(
        Document document, string path, StoredDocument? existing, string? fileFingerprint, SourceContext context,
        IngestionOptions options, VectorReuse reuse, CancellationToken cancellationToken)
    {
        var stored = existing is { Id.Length: > 0 } ? existing : null;
        var tags = MergeTags(options.ReplaceTags ? [] : existing?.Tags ?? [], options.Tags, document.Tags);
        var hash = DocumentFingerprint.Compute(document, tags, options.Tenant, _chunking, _embeddingModel);
        IngestionFileResult Result(IngestionOutcome outcome, int chunks = 0, string? reason = null) =>
            new(path, document.Id, outcome, chunks, reason) { SourceName = context.SourceName };

        if (stored?.ContentHash == hash && stored.FileFingerprint == fileFingerprint)
            return WorkOutcome.Done(Result(IngestionOutcome.Unchanged, stored.ChunkCount));

        IReadOnlyList<Chunk> chunks;
        using (ActivitySource.StartActivity("chunk"))
            chunks = _chunker.Split(document);
        if (chunks.Count == 0)
            return WorkOutcome.Done(Result(IngestionOutcome.Failed, reason: "no text to index after chunking"));

        var sparse = chunks.Select(c => _lexical.EncodeDocument(c.Text)).ToArray();
        var record = new StoredDocument
        {
            Id = document.Id,
            Source = document.Source,
            Title = document.Title,
            ContentHash = hash,
            Tags = tags,
            Tenant = options.Tenant,
            ChunkCount = chunks.Count,
            SourceName = context.SourceName,
            FileFingerprint = fileFingerprint,
        };
        var pending = await reuse.FillAsync(new PreparedDocument(path, record, chunks, sparse, context), cancellationToken).ConfigureAwait(false);
        return new WorkOutcome(pending, null);
    }

    /// <summary>Kept tags first (their order), then the run's, then the document's own; each once.</summary>
    private static IReadOnlyList<string> MergeTags(IReadOnlyList<string> kept, IReadOnlyList<string> run, IReadOnlyList<string> own) =>
        kept.Concat(run).Concat(own).Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>The embedding model's identity as the store records it.</summary>
public sealed record EmbeddingModelInfo(string Name, int Dimensions);

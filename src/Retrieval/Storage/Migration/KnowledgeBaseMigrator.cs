using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KnowledgeQa.Retrieval.Storage.Migration;

/// <summary>What happened to one document during a migration.</summary>
public enum MigrationOutcome
{
    /// <summary>Written to the target (it was absent there, or had another content hash).</summary>
    Copied,
    /// <summary>Already in the target with the same content hash: left alone.</summary>
    Skipped,
}

/// <summary>Reported after every document.</summary>
public sealed record MigrationProgress(
    int DocumentsDone,
    int DocumentsTotal,
    string DocumentId,
    MigrationOutcome Outcome,
    int ChunksCopied,
    int ChunksSkipped);

/// <summary>
/// The counts of a migration and of both stores afterwards. <see cref="CountsMatch"/> is the
/// verification: both stores hold the same number of documents and chunks.
/// </summary>
public sealed record MigrationResult(
    int DocumentsCopied,
    int DocumentsSkipped,
    int ChunksCopied,
    int ChunksSkipped,
    StoreStatistics Source,
    StoreStatistics Target)
{
    public bool CountsMatch => Source.Documents == Target.Documents && Source.Chunks == Target.Chunks;

    /// <summary>One line for people: what was copied, and whether the two sides agree.</summary>
    public string Summary =>
        string.Create(CultureInfo.InvariantCulture, $"{DocumentsCopied} documents ({ChunksCopied} chunks) copied, {DocumentsSkipped} ({ChunksSkipped} chunks) already there; ")
        + (CountsMatch
            ? string.Create(CultureInfo.InvariantCulture, $"source and target both hold {Source.Documents} documents and {Source.Chunks} chunks.")
            : string.Create(CultureInfo.InvariantCulture, $"MISMATCH: source holds {Source.Documents} documents / {Source.Chunks} chunks, target {Target.Documents} / {Target.Chunks}."));
}

/// <summary>
/// Copies a knowledge base from one <see cref="IKnowledgeStore"/> to another (typically the
/// embedded store into Qdrant) without re-embedding: documents, chunks, dense vectors and lexical
/// weights are read from the source and written as they are.
/// </summary>
/// <remarks>
/// Resumable: a document the target already holds with the same content hash is skipped, and
/// stores write a document's record only after its chunks, so an interrupted run is completed by
/// running it again. Documents the target holds but the source does not are left alone (and make
/// <see cref="MigrationResult.CountsMatch"/> false).
/// </remarks>
public sealed class KnowledgeBaseMigrator
{
    private readonly IKnowledgeStore _source;
    private readonly IKnowledgeStore _target;
    private readonly ILogger _logger;

    public KnowledgeBaseMigrator(IKnowledgeStore source, IKnowledgeStore target, ILogger<KnowledgeBaseMigrator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (ReferenceEquals(source, target))
        {
            throw new ArgumentException("The source and the target of a migration must be different stores.", nameof(target));
        }

        _source = source;
        _target = target;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Copies every document of the source that the target lacks or holds in another version,
    /// then compares the statistics of both stores.
    /// </summary>
    /// <exception cref="KnowledgeStoreException">The source has documents but no recorded embedding model, or the target holds another model.</exception>
    public async Task<MigrationResult> MigrateAsync(IProgress<MigrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var sourceStatistics = await _source.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        if (sourceStatistics.Documents == 0)
        {
            _logger.LogInformation("The source store is empty: nothing to migrate.");
            var targetStatistics = await _target.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
            return new MigrationResult(0, 0, 0, 0, sourceStatistics, targetStatistics);
        }

        if (sourceStatistics.EmbeddingModel is not { } model || sourceStatistics.Dimensions <= 0)
        {
            throw new KnowledgeStoreException(
                "The source store holds documents but records no embedding model or vector size, so its vectors cannot be moved: re-ingest the documents into the target instead.");
        }

        // Refuses a target built for another model or vector size, with the store's own message.
        await _target.InitializeAsync(sourceStatistics.Dimensions, model, cancellationToken).ConfigureAwait(false);

        await CopySyncRecordsAsync(cancellationToken).ConfigureAwait(false);

        int done = 0, copied = 0, skipped = 0, chunksCopied = 0, chunksSkipped = 0;
        await foreach (var document in _source.ListDocumentsAsync(cancellationToken).ConfigureAwait(false))
        {
            var existing = await _target.GetDocumentAsync(document.Id, cancellationToken).ConfigureAwait(false);
            MigrationOutcome outcome;
            if (existing is not null && existing.ContentHash == document.ContentHash && existing.ChunkCount == document.ChunkCount)
            {
                outcome = MigrationOutcome.Skipped;
                skipped++;
                chunksSkipped += existing.ChunkCount;
            }
            else
            {
                var chunks = new List<IndexedChunk>(document.ChunkCount);
                await foreach (var chunk in _source.ReadChunksAsync(document.Id, cancellationToken).ConfigureAwait(false))
                {
                    chunks.Add(chunk);
                }

                if (chunks.Count != document.ChunkCount)
                {
                    _logger.LogWarning(
                        "Document {DocumentId} lists {Expected} chunks in the source but {Actual} were read; copying the {Actual} found.",
                        document.Id, document.ChunkCount, chunks.Count, chunks.Count);
                }

                await _target.UpsertDocumentAsync(document, chunks, cancellationToken).ConfigureAwait(false);
                outcome = MigrationOutcome.Copied;
                copied++;
                chunksCopied += chunks.Count;
            }

            done++;
            progress?.Report(new MigrationProgress(done, sourceStatistics.Documents, document.Id, outcome, chunksCopied, chunksSkipped));
        }

        var sourceAfter = await _source.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        var targetAfter = await _target.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        var result = new MigrationResult(copied, skipped, chunksCopied, chunksSkipped, sourceAfter, targetAfter);
        if (result.CountsMatch)
        {
            _logger.LogInformation("Migration done: {Summary}", result.Summary);
        }
        else
        {
            _logger.LogWarning("Migration done with differing counts: {Summary}", result.Summary);
        }

        return result;
    }

    /// <summary>
    /// Source bindings and remembered failures travel with the documents, so that ingesting a folder
    /// into the target keeps its ids and tells old failures from new ones as the source did.
    /// </summary>
    private async Task CopySyncRecordsAsync(CancellationToken cancellationToken)
    {
        var names = new List<string?> { null };
        await foreach (var source in _source.ListSourcesAsync(cancellationToken).ConfigureAwait(false))
        {
            await _target.BindSourceAsync(source, replace: true, cancellationToken).ConfigureAwait(false);
            names.Add(source.Name);
        }

        foreach (var name in names)
        {
            foreach (var failure in await _source.ListFailuresAsync(name, cancellationToken).ConfigureAwait(false))
            {
                await _target.RecordFailureAsync(failure, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

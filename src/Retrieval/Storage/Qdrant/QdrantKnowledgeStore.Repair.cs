using System.Globalization;
using Microsoft.Extensions.Logging;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>What <see cref="QdrantKnowledgeStore.RepairAsync"/> found and removed.</summary>
/// <param name="DocumentsChecked">Documents with chunk points (with or without a record).</param>
/// <param name="PointsRemoved">Chunk points of no current version that were removed.</param>
/// <param name="DocumentsRepaired">Documents (or record-less document ids) that had such points.</param>
/// <param name="PointsLeftInProgress">Points of newer, recent generations left alone: a write may still be running.</param>
public sealed record QdrantRepairReport(int DocumentsChecked, int PointsRemoved, int DocumentsRepaired, int PointsLeftInProgress)
{
    /// <summary>Of the points found: those older than their record's generation (the previous version, or a write that lost).</summary>
    public int PointsSuperseded { get; init; }

    /// <summary>Of the points found: those of writes that started more than the grace period ago and never committed.</summary>
    public int PointsOfInterruptedWrites { get; init; }

    /// <summary>Nothing was removed: <see cref="PointsRemoved"/> counts what a repair would remove.</summary>
    public bool DryRun { get; init; }
}

/// <summary>
/// The repair path for what interrupted writes leave behind: chunk points that are not their
/// document's current version. Reads hide them already and the document's next write removes
/// them; the repair also removes those of documents that are never written again (the write of a
/// new document was interrupted and its file is gone).
/// </summary>
public sealed partial class QdrantKnowledgeStore : IRepairableStore
{
    /// <summary>How old an uncommitted write must be before <see cref="RepairAsync"/> counts it as interrupted.</summary>
    public static readonly TimeSpan DefaultRepairGrace = TimeSpan.FromHours(1);

    /// <summary>
    /// Removes chunk points older than their record's generation, and points newer than it (or of
    /// a document without a record) whose write started more than <paramref name="grace"/> ago.
    /// Scrolls the chunk collection once (ids and two payload fields), so it costs time on large
    /// collections: run it after a crash, not on every start. With <paramref name="dryRun"/> it
    /// only counts what it would remove (the same two scrolls, no deletes).
    /// </summary>
    public async Task<QdrantRepairReport> RepairAsync(TimeSpan? grace = null, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var cutoff = QdrantGenerations.Of(DateTimeOffset.UtcNow - (grace ?? DefaultRepairGrace));
        var current = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var record in ListRecordsAsync(cancellationToken).ConfigureAwait(false))
        {
            current[record.Document.Id] = record.Generation;
        }

        var removed = 0;
        var repaired = 0;
        var supersededTotal = 0;
        var interruptedTotal = 0;
        var leftInProgress = 0;
        var generations = await ChunkGenerationsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (documentId, counts) in generations)
        {
            var hasRecord = current.TryGetValue(documentId, out var committed);
            var superseded = counts.Where(c => hasRecord ? c.Key < committed : c.Key < cutoff).Sum(c => c.Value);
            var interrupted = hasRecord ? counts.Where(c => c.Key > committed && c.Key < cutoff).Sum(c => c.Value) : 0;
            leftInProgress += counts.Where(c => c.Key >= cutoff && (!hasRecord || c.Key > committed)).Sum(c => c.Value);
            // Without a record, the old points are a new document's write that never committed.
            supersededTotal += hasRecord ? superseded : 0;
            interruptedTotal += interrupted + (hasRecord ? 0 : superseded);
            if (superseded > 0 && !dryRun)
            {
                var filter = hasRecord ? QdrantFilters.ChunksBefore(documentId, committed) : QdrantFilters.ChunksBefore(documentId, cutoff);
                await DeletePointsAsync(Chunks, new PointsSelector { Filter = filter }, $"repair: removing superseded chunks of '{documentId}'", cancellationToken)
                    .ConfigureAwait(false);
            }

            if (interrupted > 0 && !dryRun)
            {
                await DeletePointsAsync(
                    Chunks,
                    new PointsSelector { Filter = QdrantFilters.ChunksBetween(documentId, committed + 1, cutoff) },
                    $"repair: removing the chunks of an interrupted write of '{documentId}'",
                    cancellationToken).ConfigureAwait(false);
            }

            if (superseded + interrupted > 0)
            {
                removed += superseded + interrupted;
                repaired++;
            }
        }

        _logger.LogInformation(
            "Qdrant repair of {Collection} at {Endpoint}{DryRun}: {Removed} chunk points of {Repaired} documents removed, {InProgress} of recent writes left.",
            Chunks, _endpoint, dryRun ? " (dry run, nothing removed)" : "", removed, repaired, leftInProgress);
        return new QdrantRepairReport(generations.Count, removed, repaired, leftInProgress)
        {
            PointsSuperseded = supersededTotal,
            PointsOfInterruptedWrites = interruptedTotal,
            DryRun = dryRun,
        };
    }

    async Task<StoreRepairReport> IRepairableStore.RepairAsync(StoreRepairOptions? options, CancellationToken cancellationToken)
    {
        options ??= new StoreRepairOptions();
        var report = await RepairAsync(options.Grace, options.DryRun, cancellationToken).ConfigureAwait(false);
        var removed = options.DryRun ? 0 : 1;
        IReadOnlyList<string> notes = report.PointsLeftInProgress == 0
            ? []
            : [string.Create(CultureInfo.InvariantCulture,
                $"{report.PointsLeftInProgress} chunk points of writes started within the last {options.Grace.TotalMinutes:0} minutes were left alone: they may still be running (run the repair again later, or with a shorter --grace).")];
        return new StoreRepairReport(
            $"Qdrant collection '{Chunks}' at {_endpoint}",
            options.DryRun,
            [
                new StoreRepairFinding("superseded-chunks", "chunk points older than their document's current version (left by an interrupted or losing write)",
                    report.PointsSuperseded, report.PointsSuperseded * removed),
                new StoreRepairFinding("interrupted-writes", "chunk points of writes that never committed (a crash mid-write; no record, or newer than the record)",
                    report.PointsOfInterruptedWrites, report.PointsOfInterruptedWrites * removed),
            ],
            notes);
    }

    /// <summary>For every document id among the chunk points: how many points each generation has.</summary>
    private async Task<Dictionary<string, Dictionary<long, int>>> ChunkGenerationsAsync(CancellationToken cancellationToken)
    {
        var payload = new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { PayloadFields.DocumentId, PayloadFields.Generation } } };
        var generations = new Dictionary<string, Dictionary<long, int>>(StringComparer.Ordinal);
        await foreach (var point in ScrollAsync(Chunks, new Filter(), withVectors: null, "repair: reading the chunk points", cancellationToken, payload)
                           .ConfigureAwait(false))
        {
            if (Payload.String(point.Payload, PayloadFields.DocumentId) is not { } documentId)
            {
                continue; // not a kqa chunk point: left alone
            }

            if (!generations.TryGetValue(documentId, out var counts))
            {
                generations[documentId] = counts = [];
            }

            var generation = QdrantChunkPoints.GenerationOf(point.Payload);
            counts[generation] = counts.GetValueOrDefault(generation) + 1;
        }

        return generations;
    }
}

using Microsoft.Extensions.Logging;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>What <see cref="QdrantKnowledgeStore.RepairAsync"/> found and removed.</summary>
/// <param name="DocumentsChecked">Documents with chunk points (with or without a record).</param>
/// <param name="PointsRemoved">Chunk points of no current version that were removed.</param>
/// <param name="DocumentsRepaired">Documents (or record-less document ids) that had such points.</param>
/// <param name="PointsLeftInProgress">Points of newer, recent generations left alone: a write may still be running.</param>
public sealed record QdrantRepairReport(int DocumentsChecked, int PointsRemoved, int DocumentsRepaired, int PointsLeftInProgress);

/// <summary>
/// The repair path for what interrupted writes leave behind: chunk points that are not their
/// document's current version. Reads hide them already and the document's next write removes
/// them; the repair also removes those of documents that are never written again (the write of a
/// new document was interrupted and its file is gone).
/// </summary>
public sealed partial class QdrantKnowledgeStore
{
    /// <summary>How old an uncommitted write must be before <see cref="RepairAsync"/> counts it as interrupted.</summary>
    public static readonly TimeSpan DefaultRepairGrace = TimeSpan.FromHours(1);

    /// <summary>
    /// Removes chunk points older than their record's generation, and points newer than it (or of
    /// a document without a record) whose write started more than <paramref name="grace"/> ago.
    /// Scrolls the chunk collection once (ids and two payload fields), so it costs time on large
    /// collections: run it after a crash, not on every start.
    /// </summary>
    public async Task<QdrantRepairReport> RepairAsync(TimeSpan? grace = null, CancellationToken cancellationToken = default)
    {
        var cutoff = QdrantGenerations.Of(DateTimeOffset.UtcNow - (grace ?? DefaultRepairGrace));
        var current = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var record in ListRecordsAsync(cancellationToken).ConfigureAwait(false))
        {
            current[record.Document.Id] = record.Generation;
        }

        var removed = 0;
        var repaired = 0;
        var leftInProgress = 0;
        var generations = await ChunkGenerationsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (documentId, counts) in generations)
        {
            var hasRecord = current.TryGetValue(documentId, out var committed);
            var superseded = counts.Where(c => hasRecord ? c.Key < committed : c.Key < cutoff).Sum(c => c.Value);
            var interrupted = hasRecord ? counts.Where(c => c.Key > committed && c.Key < cutoff).Sum(c => c.Value) : 0;
            leftInProgress += counts.Where(c => c.Key >= cutoff && (!hasRecord || c.Key > committed)).Sum(c => c.Value);
            if (superseded > 0)
            {
                var filter = hasRecord ? QdrantFilters.ChunksBefore(documentId, committed) : QdrantFilters.ChunksBefore(documentId, cutoff);
                await DeletePointsAsync(Chunks, new PointsSelector { Filter = filter }, $"repair: removing superseded chunks of '{documentId}'", cancellationToken)
                    .ConfigureAwait(false);
            }

            if (interrupted > 0)
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
            "Qdrant repair of {Collection} at {Endpoint}: {Removed} chunk points of {Repaired} documents removed, {InProgress} of recent writes left.",
            Chunks, _endpoint, removed, repaired, leftInProgress);
        return new QdrantRepairReport(generations.Count, removed, repaired, leftInProgress);
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

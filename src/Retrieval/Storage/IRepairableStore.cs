namespace KnowledgeQa.Retrieval.Storage;

/// <summary>
/// A store that can check itself and remove what crashes, interrupted writes or edits made
/// outside kqa left behind (`kqa repair`). Kept apart from <see cref="IKnowledgeStore"/>: a
/// repair is an administrator's operation, not part of reading and writing documents.
/// </summary>
public interface IRepairableStore
{
    /// <summary>
    /// Checks the store and, unless <see cref="StoreRepairOptions.DryRun"/>, removes or fixes what
    /// it found. Safe to run while other processes use the store; every step is idempotent.
    /// </summary>
    Task<StoreRepairReport> RepairAsync(StoreRepairOptions? options = null, CancellationToken cancellationToken = default);
}

public sealed record StoreRepairOptions
{
    /// <summary>Only report what a repair would do; change nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// How old an unfinished write must be before it counts as interrupted rather than still
    /// running (stores that write in several steps, such as Qdrant).
    /// </summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>What a repair checked, found and did.</summary>
/// <param name="Store">The store in words ("embedded store /data/knowledge.db", "Qdrant collection 'kb' at …").</param>
/// <param name="DryRun">Nothing was changed.</param>
/// <param name="Findings">One entry per check, also those that found nothing.</param>
/// <param name="Notes">What was seen and rightly left alone (writes still running), in words.</param>
public sealed record StoreRepairReport(string Store, bool DryRun, IReadOnlyList<StoreRepairFinding> Findings, IReadOnlyList<string> Notes)
{
    /// <summary>Problems found, over all checks.</summary>
    public int Found => Findings.Sum(f => f.Found);

    /// <summary>Problems removed or fixed (0 on a dry run).</summary>
    public int Repaired => Findings.Sum(f => f.Repaired);

    /// <summary>Problems a repair cannot fix (see each finding's advice): the command exits non-zero for them.</summary>
    public bool NeedsAttention => Findings.Any(f => f.Found > 0 && !f.Repairable);
}

/// <summary>One check of a repair.</summary>
/// <param name="Check">A stable name for scripts ("orphan-chunks", "integrity", …).</param>
/// <param name="Description">What the check looks for, in words.</param>
/// <param name="Found">How many it found.</param>
/// <param name="Repaired">How many the repair removed or fixed (0 on a dry run).</param>
/// <param name="Repairable">Whether a repair (without --dry-run) fixes what this check finds.</param>
/// <param name="Advice">What to do about what the repair does not fix; null when nothing is left to do.</param>
public sealed record StoreRepairFinding(string Check, string Description, int Found, int Repaired, bool Repairable = true, string? Advice = null);

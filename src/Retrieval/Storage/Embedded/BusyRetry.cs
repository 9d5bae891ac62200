using Microsoft.Data.Sqlite;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// How the embedded store waits for another process's write lock: each attempt waits inside SQLite
/// (Microsoft.Data.Sqlite retries a busy statement until the connection's timeout), and a failed
/// attempt is retried after a growing pause, so the total stays near the configured busy timeout.
/// </summary>
internal static class BusyRetry
{
    public const int Attempts = 3;

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    public static bool IsBusy(SqliteException e) => e.SqliteErrorCode is SqliteBusy or SqliteLocked;

    /// <summary>Whole seconds (Microsoft.Data.Sqlite's unit; 0 would mean "wait forever") per attempt.</summary>
    public static int AttemptTimeoutSeconds(TimeSpan busyTimeout) =>
        Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds / Attempts));

    /// <summary>The pause after failed attempt <paramref name="attempt"/> (1-based): 0.25 s, 1 s, ...</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(250 * Math.Pow(4, attempt - 1));
}

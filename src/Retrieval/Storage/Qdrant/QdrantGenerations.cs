using System.Security.Cryptography;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// The generation of a document write: a number that orders writes across processes. Chunk points
/// and the document record carry it; the record's generation says which chunk points are the
/// document's current version, so a write never removes chunks of a newer one (see
/// docs/qdrant.md, "Writes").
/// </summary>
/// <remarks>
/// Microseconds since the Unix epoch plus a random part below 1000, so two processes that start
/// a write in the same millisecond still differ, and made to increase within a process. Its
/// time part is also an age: the repair leaves chunks of recent generations alone, as they may
/// belong to a write still in progress.
/// </remarks>
internal static class QdrantGenerations
{
    private const long PerMillisecond = 1000;
    private static long _last;

    /// <summary>What a point written before generations existed counts as.</summary>
    public const long Legacy = 0;

    public static long Next(TimeProvider? clock = null)
    {
        var now = Of((clock ?? TimeProvider.System).GetUtcNow()) + RandomNumberGenerator.GetInt32((int)PerMillisecond);
        while (true)
        {
            var last = Interlocked.Read(ref _last);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return next;
            }
        }
    }

    /// <summary>The smallest generation a write starting at <paramref name="time"/> can get.</summary>
    public static long Of(DateTimeOffset time) => time.ToUnixTimeMilliseconds() * PerMillisecond;
}

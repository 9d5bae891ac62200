using KnowledgeQa.Retrieval.Storage.Qdrant;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// The real Qdrant server some test runs have: QDRANT_URL (gRPC, e.g. http://localhost:6334) and
/// optionally QDRANT_API_KEY. Tests that need it are skipped, with <see cref="SkipReason"/>, when it
/// is not set; there is no stand-in server.
/// </summary>
internal static class QdrantTestServer
{
    public const string SkipReason =
        "QDRANT_URL is not set: start Qdrant (docker run -p 6333:6333 -p 6334:6334 qdrant/qdrant) and set QDRANT_URL to run these tests";

    public static string? Url => Environment.GetEnvironmentVariable("QDRANT_URL") is { Length: > 0 } url ? url : null;

    public static void SkipUnlessConfigured()
    {
        if (Url is null)
        {
            Assert.Skip(SkipReason);
        }
    }

    /// <summary>Options for a fresh collection of its own, so tests never see each other's data.</summary>
    public static QdrantStoreOptions FreshCollection() => new()
    {
        Url = Url ?? throw new InvalidOperationException(SkipReason),
        ApiKey = Environment.GetEnvironmentVariable("QDRANT_API_KEY") is { Length: > 0 } key ? key : null,
        Collection = $"kqa_test_{Guid.NewGuid():N}",
    };
}

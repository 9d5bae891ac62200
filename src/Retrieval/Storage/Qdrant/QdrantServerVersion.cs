namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// The oldest Qdrant kqa works with: 1.16 brought the RRF constant k to the Query API (older
/// servers reject kqa's hybrid query), conditional upserts (the update filter that keeps a slower
/// writer from replacing a newer document record) and collection metadata (where the embedding
/// model is recorded); the Query API, the IDF modifier and tenant indexes came earlier.
/// </summary>
internal static class QdrantServerVersion
{
    public static readonly Version Minimum = new(1, 16, 0);

    /// <summary>Parses "1.16.2" or "v1.16.2-dev"; null when the server reports something else.</summary>
    public static Version? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var core = text.Trim().TrimStart('v', 'V');
        var end = core.IndexOfAny(['-', '+', ' ']);
        if (end >= 0)
        {
            core = core[..end];
        }

        return Version.TryParse(core, out var version) ? version : null;
    }

    /// <summary>Refuses a server known to be too old; an unparsable version is given the benefit of the doubt.</summary>
    public static void EnsureSupported(string? reported, QdrantEndpoint endpoint)
    {
        if (Parse(reported) is { } version && version < Minimum)
        {
            throw new KnowledgeStoreException(
                $"Qdrant at {endpoint} is version {reported}; kqa needs {Minimum.ToString(2)} or newer (older servers reject its hybrid query, "
                + "which sets the fusion constant k, and lack the conditional writes and collection metadata it relies on). "
                + "Upgrade the server, e.g. `docker pull qdrant/qdrant` and restart it.");
        }
    }
}

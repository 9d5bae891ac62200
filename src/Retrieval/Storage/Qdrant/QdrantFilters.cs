using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Turns a <see cref="SearchFilter"/> into Qdrant filter conditions with the embedded store's
/// meaning: every non-empty part must hold; document ids and tags match if any value matches.
/// </summary>
internal static class QdrantFilters
{
    /// <summary>The Qdrant filter, or null when the search is unrestricted.</summary>
    public static Filter? From(SearchFilter filter)
    {
        if (filter.IsEmpty)
        {
            return null;
        }

        var result = new Filter();
        if (filter.DocumentIds.Count > 0)
        {
            result.Must.Add(AnyOf(PayloadFields.DocumentId, filter.DocumentIds));
        }

        if (filter.Tags.Count > 0)
        {
            result.Must.Add(AnyOf(PayloadFields.Tags, filter.Tags));
        }

        if (filter.Tenant is { } tenant)
        {
            result.Must.Add(Keyword(PayloadFields.Tenant, tenant));
        }

        return result;
    }

    /// <summary>All chunk points of one document.</summary>
    public static Filter OfDocument(string documentId) => new() { Must = { Keyword(PayloadFields.DocumentId, documentId) } };

    /// <summary>A document's chunk points other than <paramref name="keep"/>: what a re-ingest leaves stale.</summary>
    public static Filter StaleChunks(string documentId, IEnumerable<PointId> keep)
    {
        var filter = OfDocument(documentId);
        var hasId = new HasIdCondition();
        hasId.HasId.Add(keep);
        if (hasId.HasId.Count > 0)
        {
            filter.MustNot.Add(new Condition { HasId = hasId });
        }

        return filter;
    }

    public static Filter DocumentRecords() => new() { Must = { Keyword(PayloadFields.Kind, PayloadFields.DocumentKind) } };

    internal static Condition Keyword(string key, string value) =>
        new() { Field = new FieldCondition { Key = key, Match = new Match { Keyword = value } } };

    private static Condition AnyOf(string key, IEnumerable<string> values)
    {
        var keywords = new RepeatedStrings();
        keywords.Strings.Add(values.Distinct(StringComparer.Ordinal));
        return new Condition { Field = new FieldCondition { Key = key, Match = new Match { Keywords = keywords } } };
    }
}

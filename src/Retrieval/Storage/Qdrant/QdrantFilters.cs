using Qdrant.Client.Grpc;
using Range = Qdrant.Client.Grpc.Range;

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

    /// <summary>
    /// A document's chunk points of generations before <paramref name="generation"/>, including
    /// points without a generation (written before generations existed): what a committed write
    /// leaves superseded. Never a newer write's points.
    /// </summary>
    public static Filter ChunksBefore(string documentId, long generation)
    {
        var filter = OfDocument(documentId);
        filter.MustNot.Add(GenerationFrom(generation));
        return filter;
    }

    /// <summary>A document's chunk points of generations in [<paramref name="from"/>, <paramref name="before"/>).</summary>
    public static Filter ChunksBetween(string documentId, long from, long before) => new()
    {
        Must =
        {
            Keyword(PayloadFields.DocumentId, documentId),
            new Condition { Field = new FieldCondition { Key = PayloadFields.Generation, Range = new Range { Gte = from, Lt = before } } },
        },
    };

    /// <summary>
    /// The update filter of a record write: overwrite only a record of an older generation (or of
    /// none), so a slower write never replaces the record of a newer one. A missing record is
    /// inserted whatever the filter.
    /// </summary>
    public static Filter RecordOlderThan(long generation) => new() { MustNot = { GenerationFrom(generation) } };

    /// <summary>
    /// The points a record touch overwrites: the document's record, while no newer write replaced it.
    /// Selects nothing when the record is gone, so a touch never re-creates a deleted record.
    /// </summary>
    public static Filter RecordStillAt(string documentId, long generation) => new()
    {
        Must = { new Condition { HasId = new HasIdCondition { HasId = { QdrantPointIds.ForDocument(documentId) } } } },
        MustNot = { new Condition { Field = new FieldCondition { Key = PayloadFields.Generation, Range = new Range { Gt = generation } } } },
    };

    // Ranges are doubles in Qdrant's API; generations stay below 2^53, so they compare exactly.
    private static Condition GenerationFrom(long generation) =>
        new() { Field = new FieldCondition { Key = PayloadFields.Generation, Range = new Range { Gte = generation } } };

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

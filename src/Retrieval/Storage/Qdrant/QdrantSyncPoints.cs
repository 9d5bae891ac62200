using System.Globalization;
using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Source bindings and remembered ingest failures as points of the documents collection (kind
/// "source" and "failure"), beside the document records; ids derived from the name or document id.
/// </summary>
internal static class QdrantSyncPoints
{
    public static PointId SourceId(string name) => Derived("kqa-source\u001f" + name);

    public static PointId FailureId(string documentId) => Derived("kqa-failure\u001f" + documentId);

    public static PointStruct ToPoint(SourceBinding source)
    {
        var point = QdrantDocumentPoints.NewPoint(SourceId(source.Name));
        var payload = point.Payload;
        payload[PayloadFields.Kind] = Payload.Str(PayloadFields.SourceRecordKind);
        payload[PayloadFields.SourceName] = Payload.Str(source.Name);
        payload[PayloadFields.SourceKind] = Payload.Str(source.Kind == SourceKind.Folder ? "folder" : "upload");
        if (source.Root is { } root)
        {
            payload[PayloadFields.Root] = Payload.Str(root);
        }
        payload[PayloadFields.BoundAt] = Payload.Str(source.BoundAt.ToString("O", CultureInfo.InvariantCulture));
        return point;
    }

    public static SourceBinding ToSource(PointId id, MapField<string, Value> payload) =>
        new(Payload.RequiredString(payload, PayloadFields.SourceName, id),
            Payload.String(payload, PayloadFields.SourceKind) == "folder" ? SourceKind.Folder : SourceKind.Upload,
            Payload.String(payload, PayloadFields.Root))
        {
            BoundAt = ParseTime(Payload.String(payload, PayloadFields.BoundAt)),
        };

    public static PointStruct ToPoint(IngestFailure failure)
    {
        var point = QdrantDocumentPoints.NewPoint(FailureId(failure.DocumentId));
        var payload = point.Payload;
        payload[PayloadFields.Kind] = Payload.Str(PayloadFields.FailureKind);
        payload[PayloadFields.DocumentId] = Payload.Str(failure.DocumentId);
        if (failure.SourceName is { } sourceName)
        {
            payload[PayloadFields.SourceName] = Payload.Str(sourceName);
        }
        payload[PayloadFields.Path] = Payload.Str(failure.Path);
        payload[PayloadFields.FileHash] = Payload.Str(failure.FileHash);
        payload[PayloadFields.Reason] = Payload.Str(failure.Reason);
        payload[PayloadFields.FailedAt] = Payload.Str(failure.FailedAt.ToString("O", CultureInfo.InvariantCulture));
        return point;
    }

    public static IngestFailure ToFailure(PointId id, MapField<string, Value> payload) =>
        new(Payload.RequiredString(payload, PayloadFields.DocumentId, id),
            Payload.String(payload, PayloadFields.SourceName),
            Payload.RequiredString(payload, PayloadFields.Path, id),
            Payload.RequiredString(payload, PayloadFields.FileHash, id),
            Payload.RequiredString(payload, PayloadFields.Reason, id))
        {
            FailedAt = ParseTime(Payload.String(payload, PayloadFields.FailedAt)),
        };

    public static Filter Sources() => KindIs(PayloadFields.SourceRecordKind);

    /// <summary>Failures of one source; null: failures of documents without a source.</summary>
    public static Filter Failures(string? sourceName)
    {
        var filter = KindIs(PayloadFields.FailureKind);
        if (sourceName is null)
        {
            filter.Must.Add(new Condition { IsEmpty = new IsEmptyCondition { Key = PayloadFields.SourceName } });
        }
        else
        {
            filter.Must.Add(QdrantFilters.Keyword(PayloadFields.SourceName, sourceName));
        }
        return filter;
    }

    /// <summary>Chunk points whose text hash is one of <paramref name="hashes"/>.</summary>
    public static Filter WithTextHashes(IEnumerable<string> hashes)
    {
        var keywords = new RepeatedStrings();
        keywords.Strings.Add(hashes);
        return new Filter { Must = { new Condition { Field = new FieldCondition { Key = PayloadFields.TextHash, Match = new Match { Keywords = keywords } } } } };
    }

    private static Filter KindIs(string kind) => new() { Must = { QdrantFilters.Keyword(PayloadFields.Kind, kind) } };

    private static DateTimeOffset ParseTime(string? text) =>
        text is null ? default : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static PointId Derived(string key) => QdrantPointIds.Derived(key);
}

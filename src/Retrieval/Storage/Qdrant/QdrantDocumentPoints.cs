using System.Globalization;
using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>What the metadata point records about a store.</summary>
internal sealed record QdrantStoreMetadata(string EmbeddingModel, int Dimensions, int LayoutVersion);

/// <summary>Maps document records and the metadata point to points of the documents collection.</summary>
internal static class QdrantDocumentPoints
{
    public static PointStruct ToPoint(StoredDocument document)
    {
        var point = NewPoint(QdrantPointIds.ForDocument(document.Id));
        var payload = point.Payload;
        payload[PayloadFields.Kind] = Payload.Str(PayloadFields.DocumentKind);
        WriteDocumentFields(payload, document);
        payload[PayloadFields.ChunkCount] = Payload.Int(document.ChunkCount);
        // Sync fields live on the record only: chunk points never need them.
        if (document.SourceName is { } sourceName)
        {
            payload[PayloadFields.SourceName] = Payload.Str(sourceName);
        }

        if (document.FileFingerprint is { } fingerprint)
        {
            payload[PayloadFields.FileFingerprint] = Payload.Str(fingerprint);
        }

        // Round-trip format: keeps the offset and every tick.
        payload[PayloadFields.IngestedAt] = Payload.Str(document.IngestedAt.ToString("O", CultureInfo.InvariantCulture));
        return point;
    }

    /// <summary>
    /// The document fields both point kinds carry: the document record, and every chunk (so that
    /// filters and search results need no second lookup).
    /// </summary>
    public static void WriteDocumentFields(MapField<string, Value> payload, StoredDocument document)
    {
        payload[PayloadFields.DocumentId] = Payload.Str(document.Id);
        payload[PayloadFields.Source] = Payload.Str(document.Source);
        if (document.Title is { } title)
        {
            payload[PayloadFields.Title] = Payload.Str(title);
        }

        payload[PayloadFields.ContentHash] = Payload.Str(document.ContentHash);
        payload[PayloadFields.Tags] = Payload.List(document.Tags);
        if (document.Tenant is { } tenant)
        {
            payload[PayloadFields.Tenant] = Payload.Str(tenant);
        }

    }

    public static StoredDocument ToDocument(PointId id, MapField<string, Value> payload)
    {
        var ingestedAt = Payload.String(payload, PayloadFields.IngestedAt);
        return new StoredDocument
        {
            Id = Payload.RequiredString(payload, PayloadFields.DocumentId, id),
            Source = Payload.RequiredString(payload, PayloadFields.Source, id),
            Title = Payload.String(payload, PayloadFields.Title),
            ContentHash = Payload.RequiredString(payload, PayloadFields.ContentHash, id),
            Tags = Payload.Strings(payload, PayloadFields.Tags),
            Tenant = Payload.String(payload, PayloadFields.Tenant),
            ChunkCount = (int)(Payload.Integer(payload, PayloadFields.ChunkCount) ?? 0),
            SourceName = Payload.String(payload, PayloadFields.SourceName),
            FileFingerprint = Payload.String(payload, PayloadFields.FileFingerprint),
            IngestedAt = ingestedAt is null
                ? default
                : DateTimeOffset.Parse(ingestedAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        };
    }

    public static PointStruct ToPoint(QdrantStoreMetadata metadata)
    {
        var point = NewPoint(QdrantPointIds.Of(QdrantPointIds.Metadata));
        point.Payload[PayloadFields.Kind] = Payload.Str(PayloadFields.MetadataKind);
        point.Payload[PayloadFields.EmbeddingModel] = Payload.Str(metadata.EmbeddingModel);
        point.Payload[PayloadFields.Dimensions] = Payload.Int(metadata.Dimensions);
        point.Payload[PayloadFields.LayoutVersion] = Payload.Int(metadata.LayoutVersion);
        return point;
    }

    public static QdrantStoreMetadata ToMetadata(PointId id, MapField<string, Value> payload) => new(
        Payload.RequiredString(payload, PayloadFields.EmbeddingModel, id),
        Payload.RequiredInt(payload, PayloadFields.Dimensions, id),
        (int)(Payload.Integer(payload, PayloadFields.LayoutVersion) ?? 0));

    // The documents collection has one unnamed 1-d vector that is never searched; Qdrant needs a value.
    internal static PointStruct NewPoint(PointId id)
    {
        var vector = new Vector { Dense = new DenseVector { Data = { 1f } } };
        return new PointStruct { Id = id, Vectors = new Vectors { Vector = vector } };
    }
}

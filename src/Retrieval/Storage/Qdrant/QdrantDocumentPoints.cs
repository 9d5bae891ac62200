using System.Globalization;
using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>What the metadata point records about a store.</summary>
internal sealed record QdrantStoreMetadata(string EmbeddingModel, int Dimensions, int LayoutVersion);

/// <summary>A document record with the generation of the write that made it: its chunk points of that generation are the document.</summary>
internal sealed record QdrantRecord(StoredDocument Document, long Generation);

/// <summary>Maps document records and the metadata point to points of the documents collection.</summary>
internal static class QdrantDocumentPoints
{
    public static PointStruct ToPoint(StoredDocument document, long generation)
    {
        var point = NewPoint(QdrantPointIds.ForDocument(document.Id));
        var payload = point.Payload;
        payload[PayloadFields.Kind] = Payload.Str(PayloadFields.DocumentKind);
        payload[PayloadFields.Generation] = Payload.Int(generation);
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

    public static QdrantRecord ToRecord(RetrievedPoint point) =>
        new(ToDocument(point.Id, point.Payload), QdrantChunkPoints.GenerationOf(point.Payload));

    /// <summary>The metadata point of layout 1 (a store created before the model went into the collection's own metadata).</summary>
    public static PointStruct ToPoint(QdrantStoreMetadata metadata)
    {
        var point = NewPoint(QdrantPointIds.Of(QdrantPointIds.Metadata));
        point.Payload[PayloadFields.Kind] = Payload.Str(PayloadFields.MetadataKind);
        WriteMetadata(point.Payload, metadata);
        return point;
    }

    /// <summary>The store's metadata as payload-like fields: of the legacy point, or of the chunk collection's own metadata.</summary>
    public static void WriteMetadata(MapField<string, Value> fields, QdrantStoreMetadata metadata)
    {
        fields[PayloadFields.EmbeddingModel] = Payload.Str(metadata.EmbeddingModel);
        fields[PayloadFields.Dimensions] = Payload.Int(metadata.Dimensions);
        fields[PayloadFields.LayoutVersion] = Payload.Int(metadata.LayoutVersion);
    }

    /// <summary>The metadata in <paramref name="fields"/>, or null when they hold no embedding model.</summary>
    public static QdrantStoreMetadata? ToMetadata(MapField<string, Value> fields) =>
        Payload.String(fields, PayloadFields.EmbeddingModel) is { } model
            ? new QdrantStoreMetadata(model, (int)(Payload.Integer(fields, PayloadFields.Dimensions) ?? 0), (int)(Payload.Integer(fields, PayloadFields.LayoutVersion) ?? 0))
            : null;

    // The documents collection has one unnamed 1-d vector that is never searched; Qdrant needs a value.
    internal static PointStruct NewPoint(PointId id)
    {
        var vector = new Vector { Dense = new DenseVector { Data = { 1f } } };
        return new PointStruct { Id = id, Vectors = new Vectors { Vector = vector } };
    }
}

using System.Security.Cryptography;
using System.Text;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Deterministic point ids. A chunk point's id is derived from the chunk id and the write's
/// generation, so two writes of one document (concurrent, or one interrupted) never overwrite each
/// other's points, and a retried request writes the same points again. A document record's id is
/// derived from the document id, so writing a document twice overwrites one record.
/// </summary>
internal static class QdrantPointIds
{
    /// <summary>The fixed id of the point that records the store's embedding model and layout.</summary>
    public static readonly Guid Metadata = Guid.Empty;

    public static PointId ForChunk(string chunkId, long generation)
    {
        if (!Guid.TryParse(chunkId, out _))
        {
            throw new ArgumentException($"Chunk id '{chunkId}' is not a UUID; create chunk ids with Chunk.CreateId.", nameof(chunkId));
        }

        return Derived(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"kqa-chunk\u001f{chunkId}\u001f{generation}"));
    }

    public static PointId ForDocument(string documentId) => Derived("kqa-document\u001f" + documentId);

    /// <summary>The first 16 bytes of the key's SHA-256, as a UUID.</summary>
    public static PointId Derived(string key)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return Of(new Guid(bytes.AsSpan(0, 16)));
    }

    public static PointId Of(Guid guid) => new() { Uuid = guid.ToString("D") };

    public static string Format(PointId id) => id.PointIdOptionsCase switch
    {
        PointId.PointIdOptionsOneofCase.Uuid => id.Uuid,
        PointId.PointIdOptionsOneofCase.Num => id.Num.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "(none)",
    };
}

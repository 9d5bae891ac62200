using System.Security.Cryptography;
using System.Text;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Deterministic point ids. Chunk ids are already UUIDs (<see cref="Chunking.Chunk.CreateId"/>);
/// a document record's id is derived from the document id the same way, so writing a document
/// twice overwrites one point instead of adding another.
/// </summary>
internal static class QdrantPointIds
{
    /// <summary>The fixed id of the point that records the store's embedding model and layout.</summary>
    public static readonly Guid Metadata = Guid.Empty;

    public static PointId ForChunk(string chunkId)
    {
        if (!Guid.TryParse(chunkId, out var guid))
        {
            throw new ArgumentException($"Chunk id '{chunkId}' is not a UUID; create chunk ids with Chunk.CreateId.", nameof(chunkId));
        }

        return Of(guid);
    }

    public static PointId ForDocument(string documentId)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("kqa-document\u001f" + documentId));
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

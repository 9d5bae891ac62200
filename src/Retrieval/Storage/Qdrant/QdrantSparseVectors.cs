using QdrantSparse = Qdrant.Client.Grpc.SparseVector;
using KqaSparse = KnowledgeQa.Retrieval.Lexical.SparseVector;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>Converts kqa's lexical weights to Qdrant sparse vectors and back.</summary>
internal static class QdrantSparseVectors
{
    public static QdrantSparse ToQdrant(KqaSparse sparse)
    {
        if (sparse.Indices.Length != sparse.Values.Length)
        {
            throw new ArgumentException(
                $"Sparse vector has {sparse.Indices.Length} indices but {sparse.Values.Length} values.", nameof(sparse));
        }

        var result = new QdrantSparse();
        result.Indices.Add(sparse.Indices);
        result.Values.Add(sparse.Values);
        return result;
    }

    /// <summary>Back to kqa's shape: sorted by index, as <see cref="KqaSparse"/> promises (Qdrant does not).</summary>
    public static KqaSparse FromQdrant(QdrantSparse? sparse)
    {
        if (sparse is null || sparse.Indices.Count == 0)
        {
            return KqaSparse.Empty;
        }

        var indices = sparse.Indices.ToArray();
        var values = sparse.Values.ToArray();
        Array.Sort(indices, values);
        return new KqaSparse(indices, values);
    }
}

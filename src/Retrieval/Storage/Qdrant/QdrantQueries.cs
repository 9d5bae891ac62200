using System.Globalization;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Builds Query API requests for a <see cref="StoreQuery"/>. Hybrid search is the fused query
/// (prefetch of the dense and the sparse side, reciprocal rank fusion) returning each hit's dense
/// vector, so the hit's cosine is computed here; its lexical score comes from a second, id-restricted
/// sparse query. That gives every fused hit both raw scores, as the embedded store does (callers
/// apply relevance thresholds to them), and Qdrant's own BM25/IDF arithmetic for the lexical one.
/// </summary>
internal static class QdrantQueries
{
    public static QueryPoints Dense(string collection, StoreQuery query, ReadConsistency? consistency) =>
        Nearest(collection, new VectorInput { Dense = ToDense(query.Vector) }, QdrantSchema.DenseVector, QdrantFilters.From(query.Filter), consistency, (ulong)query.Top);

    public static QueryPoints Lexical(string collection, StoreQuery query, ReadConsistency? consistency) =>
        Nearest(collection, new VectorInput { Sparse = QdrantSparseVectors.ToQdrant(query.Sparse) }, QdrantSchema.SparseVector, QdrantFilters.From(query.Filter), consistency, (ulong)query.Top);

    /// <summary>
    /// The fused query; a side whose input is empty (no vector, no query terms) is left out of the
    /// fusion. Null when both are empty: there is nothing to search for.
    /// </summary>
    public static QueryPoints? Hybrid(string collection, StoreQuery query, ReadConsistency? consistency)
    {
        var hasDense = !query.Vector.IsEmpty;
        var hasLexical = query.Sparse.Count > 0;
        if (!hasDense && !hasLexical)
        {
            return null;
        }

        var filter = QdrantFilters.From(query.Filter);
        var candidates = (ulong)Math.Max(query.Candidates, query.Top);
        var fused = new QueryPoints
        {
            CollectionName = collection,
            // Qdrant's RRF adds 1 / (k + rank) with ranks from 0; StoreQuery.FusionK counts ranks from 1.
            Query = new Query { Rrf = new Rrf { K = checked((uint)query.FusionK + 1) } },
            Limit = (ulong)query.Top,
            WithPayload = new WithPayloadSelector { Enable = true },
            WithVectors = hasDense
                ? new WithVectorsSelector { Include = new VectorsSelector { Names = { QdrantSchema.DenseVector } } }
                : new WithVectorsSelector { Enable = false },
        };

        if (hasDense)
        {
            fused.Prefetch.Add(Prefetch(new VectorInput { Dense = ToDense(query.Vector) }, QdrantSchema.DenseVector, filter, candidates));
        }

        if (hasLexical)
        {
            fused.Prefetch.Add(Prefetch(new VectorInput { Sparse = QdrantSparseVectors.ToQdrant(query.Sparse) }, QdrantSchema.SparseVector, filter, candidates));
        }

        // Filtering the fused list as well keeps the result restricted whatever a server version
        // does with filters on prefetches.
        if (filter is not null)
        {
            fused.Filter = filter;
        }

        if (consistency is not null)
        {
            fused.ReadConsistency = consistency;
        }

        return fused;
    }

    /// <summary>The sparse query restricted to <paramref name="ids"/>: their lexical scores (points without a shared term are not returned).</summary>
    public static QueryPoints LexicalScores(string collection, StoreQuery query, IReadOnlyList<PointId> ids, ReadConsistency? consistency)
    {
        var hasId = new HasIdCondition();
        hasId.HasId.Add(ids);
        var request = Nearest(
            collection,
            new VectorInput { Sparse = QdrantSparseVectors.ToQdrant(query.Sparse) },
            QdrantSchema.SparseVector,
            new Filter { Must = { new Condition { HasId = hasId } } },
            consistency,
            (ulong)ids.Count);
        request.WithPayload = new WithPayloadSelector { Enable = false };
        return request;
    }

    public static void Validate(StoreQuery query, int dimensions)
    {
        if (query.Mode == SearchMode.Dense && query.Vector.IsEmpty)
        {
            throw new ArgumentException("A dense search needs the query vector (StoreQuery.Vector).", nameof(query));
        }

        if (!query.Vector.IsEmpty && dimensions > 0 && query.Vector.Length != dimensions)
        {
            throw new KnowledgeStoreException(string.Create(CultureInfo.InvariantCulture,
                $"The query vector has {query.Vector.Length} dimensions but the Qdrant collection holds {dimensions}-dimensional vectors: search with the embedding model the knowledge base was built with."));
        }

        if (query.FusionK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.FusionK, "FusionK must not be negative.");
        }
    }

    private static PrefetchQuery Prefetch(VectorInput input, string vectorName, Filter? filter, ulong limit)
    {
        var prefetch = new PrefetchQuery { Query = new Query { Nearest = input }, Using = vectorName, Limit = limit };
        if (filter is not null)
        {
            prefetch.Filter = filter;
        }

        return prefetch;
    }

    private static QueryPoints Nearest(string collection, VectorInput input, string vectorName, Filter? filter, ReadConsistency? consistency, ulong limit)
    {
        var request = new QueryPoints
        {
            CollectionName = collection,
            Query = new Query { Nearest = input },
            Using = vectorName,
            Limit = limit,
            WithPayload = new WithPayloadSelector { Enable = true },
        };

        if (filter is not null)
        {
            request.Filter = filter;
        }

        if (consistency is not null)
        {
            request.ReadConsistency = consistency;
        }

        return request;
    }

    private static DenseVector ToDense(ReadOnlyMemory<float> vector)
    {
        var dense = new DenseVector();
        dense.Data.Add(vector.ToArray());
        return dense;
    }
}

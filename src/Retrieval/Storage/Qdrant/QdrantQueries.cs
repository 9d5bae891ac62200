using System.Globalization;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Builds Query API requests for a <see cref="StoreQuery"/>. Hybrid search is one batch of three
/// queries: the fused query (prefetch dense + sparse, reciprocal rank fusion), and the two
/// candidate lists on their own, so each hit also gets the per-side scores the embedded store
/// reports (callers apply relevance thresholds to them). The server runs the batch in one round trip.
/// </summary>
internal static class QdrantQueries
{
    public static QueryPoints Dense(string collection, StoreQuery query, ReadConsistency? consistency, ulong limit, bool withPayload) =>
        Single(collection, new Query { Nearest = new VectorInput { Dense = ToDense(query.Vector) } }, QdrantSchema.DenseVector, query.Filter, consistency, limit, withPayload);

    public static QueryPoints Lexical(string collection, StoreQuery query, ReadConsistency? consistency, ulong limit, bool withPayload) =>
        Single(collection, new Query { Nearest = new VectorInput { Sparse = QdrantSparseVectors.ToQdrant(query.Sparse) } }, QdrantSchema.SparseVector, query.Filter, consistency, limit, withPayload);

    /// <summary>
    /// The hybrid batch; a side whose query input is empty (no vector, no query terms) is left out
    /// of the fusion and of the batch. Null when both are empty: there is nothing to search for.
    /// </summary>
    public static QdrantHybridBatch? Hybrid(string collection, StoreQuery query, ReadConsistency? consistency)
    {
        var candidates = (ulong)Math.Max(query.Candidates, query.Top);
        var fused = new QueryPoints
        {
            CollectionName = collection,
            // Qdrant's RRF is 1 / (k + rank) with 0-based ranks; StoreQuery.FusionK counts ranks from 1.
            Query = new Query { Rrf = new Rrf { K = checked((uint)query.FusionK + 1) } },
            Limit = (ulong)query.Top,
            WithPayload = new WithPayloadSelector { Enable = true },
        };

        // The outer filter restricts the fused list whatever the server does with prefetch filters.
        if (QdrantFilters.From(query.Filter) is { } filter)
        {
            fused.Filter = filter;
        }

        if (consistency is not null)
        {
            fused.ReadConsistency = consistency;
        }

        var batch = new QueryBatchPoints { CollectionName = collection };
        batch.QueryPoints.Add(fused);
        int? denseIndex = null, lexicalIndex = null;
        if (!query.Vector.IsEmpty)
        {
            var dense = Dense(collection, query, consistency, candidates, withPayload: false);
            fused.Prefetch.Add(Prefetch(dense));
            denseIndex = batch.QueryPoints.Count;
            batch.QueryPoints.Add(dense);
        }

        if (query.Sparse.Count > 0)
        {
            var lexical = Lexical(collection, query, consistency, candidates, withPayload: false);
            fused.Prefetch.Add(Prefetch(lexical));
            lexicalIndex = batch.QueryPoints.Count;
            batch.QueryPoints.Add(lexical);
        }

        if (denseIndex is null && lexicalIndex is null)
        {
            return null;
        }

        if (consistency is not null)
        {
            batch.ReadConsistency = consistency;
        }

        return new QdrantHybridBatch(batch, denseIndex, lexicalIndex);
    }

    public static void Validate(StoreQuery query, int dimensions)
    {
        var needsDense = query.Mode == SearchMode.Dense;
        if (needsDense && query.Vector.IsEmpty)
        {
            throw new ArgumentException("A dense search needs the query vector (StoreQuery.Vector).", nameof(query));
        }

        if (!query.Vector.IsEmpty && dimensions > 0 && query.Vector.Length != dimensions)
        {
            throw new KnowledgeStoreException(string.Create(CultureInfo.InvariantCulture,
                $"The query vector has {query.Vector.Length} dimensions but the Qdrant collection holds {dimensions}: search with the embedding model the knowledge base was built with."));
        }

        if (query.FusionK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.FusionK, "FusionK must not be negative.");
        }
    }

    private static PrefetchQuery Prefetch(QueryPoints side)
    {
        var prefetch = new PrefetchQuery { Query = side.Query, Using = side.Using, Limit = side.Limit };
        if (side.Filter is not null)
        {
            prefetch.Filter = side.Filter;
        }

        return prefetch;
    }

    private static QueryPoints Single(string collection, Query query, string vectorName, SearchFilter filter, ReadConsistency? consistency, ulong limit, bool withPayload)
    {
        var request = new QueryPoints
        {
            CollectionName = collection,
            Query = query,
            Using = vectorName,
            Limit = limit,
            WithPayload = new WithPayloadSelector { Enable = withPayload },
        };

        if (QdrantFilters.From(filter) is { } qdrantFilter)
        {
            request.Filter = qdrantFilter;
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

/// <summary>
/// A hybrid search as one Query API batch: query 0 is the fused one; the others (where present)
/// are the dense and lexical candidate lists, queried again so each hit gets its per-side scores.
/// </summary>
internal sealed record QdrantHybridBatch(QueryBatchPoints Request, int? DenseIndex, int? LexicalIndex)
{
    public const int FusedIndex = 0;
}

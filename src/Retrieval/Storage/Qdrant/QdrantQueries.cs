using System.Globalization;
using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Builds Query API requests for a <see cref="StoreQuery"/>, in two steps. The candidate query
/// (dense, lexical, or the fusion of a dense and a sparse prefetch by reciprocal rank fusion)
/// returns ids, scores and the three payload fields that decide visibility and ties, for a few
/// more points than asked; the store keeps the visible ones, breaks ties by chunk id, and fetches
/// the details of those it returns. For hybrid hits the details are id-restricted dense and sparse
/// queries: Qdrant's exact cosine and its own BM25/IDF score for every hit, as the embedded store
/// reports them (callers apply relevance thresholds to them).
/// </summary>
internal static class QdrantQueries
{
    /// <summary>The payload fields the candidate step needs: whose chunk, which one, which write.</summary>
    public static WithPayloadSelector CandidatePayload() => new()
    {
        Include = new PayloadIncludeSelector { Fields = { PayloadFields.DocumentId, PayloadFields.ChunkId, PayloadFields.Generation } },
    };

    /// <summary>
    /// How many candidates to ask for: more than <paramref name="top"/>, so that hidden points (a
    /// write in progress) and ties at the cut leave enough to choose from.
    /// </summary>
    public static ulong CandidateCount(int top) => (ulong)top + (ulong)Math.Clamp(top, 5, 50);

    public static QueryPoints Dense(string collection, StoreQuery query, ReadConsistency? consistency, SearchParams? searchParams)
    {
        var request = Nearest(collection, new VectorInput { Dense = ToDense(query.Vector) }, QdrantSchema.DenseVector, QdrantFilters.From(query.Filter), consistency, CandidateCount(query.Top));
        request.WithPayload = CandidatePayload();
        ApplyParams(request, searchParams);
        return request;
    }

    public static QueryPoints Lexical(string collection, StoreQuery query, ReadConsistency? consistency)
    {
        var request = Nearest(collection, new VectorInput { Sparse = QdrantSparseVectors.ToQdrant(query.Sparse) }, QdrantSchema.SparseVector, QdrantFilters.From(query.Filter), consistency, CandidateCount(query.Top));
        request.WithPayload = CandidatePayload();
        return request;
    }

    /// <summary>
    /// The fused query; a side whose input is empty (no vector, no query terms) is left out of the
    /// fusion. Null when both are empty: there is nothing to search for.
    /// </summary>
    public static QueryPoints? Hybrid(string collection, StoreQuery query, ReadConsistency? consistency, SearchParams? searchParams)
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
            Limit = CandidateCount(query.Top),
            // Ids and scores are all the fusion needs to return; the details follow for the kept hits.
            WithPayload = CandidatePayload(),
            WithVectors = new WithVectorsSelector { Enable = false },
        };

        if (hasDense)
        {
            var prefetch = Prefetch(new VectorInput { Dense = ToDense(query.Vector) }, QdrantSchema.DenseVector, filter, candidates);
            if (searchParams is not null)
            {
                prefetch.Params = searchParams;
            }

            fused.Prefetch.Add(prefetch);
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

    /// <summary>The dense query restricted to <paramref name="ids"/>: their cosines, with their full payloads.</summary>
    public static QueryPoints DenseScores(string collection, StoreQuery query, IReadOnlyList<PointId> ids, ReadConsistency? consistency, SearchParams? searchParams)
    {
        var request = Nearest(collection, new VectorInput { Dense = ToDense(query.Vector) }, QdrantSchema.DenseVector, HasIds(ids), consistency, (ulong)ids.Count);
        ApplyParams(request, searchParams);
        return request;
    }

    /// <summary>
    /// The sparse query restricted to <paramref name="ids"/>: their lexical scores (points without
    /// a shared term are not returned); with payloads only when no dense query brings them.
    /// </summary>
    public static QueryPoints LexicalScores(string collection, StoreQuery query, IReadOnlyList<PointId> ids, ReadConsistency? consistency, bool withPayload)
    {
        var request = Nearest(
            collection,
            new VectorInput { Sparse = QdrantSparseVectors.ToQdrant(query.Sparse) },
            QdrantSchema.SparseVector,
            HasIds(ids),
            consistency,
            (ulong)ids.Count);
        request.WithPayload = new WithPayloadSelector { Enable = withPayload };
        return request;
    }

    /// <summary>
    /// Rescoring under quantization (null when turned off): Qdrant searches the quantized copy for
    /// oversampling x limit candidates, then re-scores them with the original vectors, so dense
    /// scores are exact cosines. Collections without quantization ignore it.
    /// </summary>
    public static SearchParams? Rescoring(QdrantStoreOptions options) => options.QuantizationRescore
        ? new SearchParams { Quantization = new QuantizationSearchParams { Rescore = true, Oversampling = options.QuantizationOversampling } }
        : null;

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

    private static Filter HasIds(IReadOnlyList<PointId> ids)
    {
        var hasId = new HasIdCondition();
        hasId.HasId.Add(ids);
        return new Filter { Must = { new Condition { HasId = hasId } } };
    }

    private static void ApplyParams(QueryPoints request, SearchParams? searchParams)
    {
        if (searchParams is not null)
        {
            request.Params = searchParams;
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

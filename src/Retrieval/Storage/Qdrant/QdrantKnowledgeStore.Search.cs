using Qdrant.Client.Grpc;

namespace KnowledgeQa.Retrieval.Storage.Qdrant;

/// <summary>
/// Search: a candidate query (ids, scores, three payload fields), the current generation of the
/// candidates' documents, then the details of the hits kept (see <see cref="QdrantQueries"/>).
/// </summary>
public sealed partial class QdrantKnowledgeStore
{
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(StoreQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        QdrantQueries.Validate(query, _metadata?.Dimensions ?? 0);
        if (query.Top <= 0)
        {
            return [];
        }

        var rescoring = QdrantQueries.Rescoring(_options);
        var request = query.Mode switch
        {
            SearchMode.Dense => QdrantQueries.Dense(Chunks, query, _consistency, rescoring),
            SearchMode.Lexical => query.Sparse.Count == 0 ? null : QdrantQueries.Lexical(Chunks, query, _consistency),
            SearchMode.Hybrid => QdrantQueries.Hybrid(Chunks, query, _consistency, rescoring),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Mode, "Unknown search mode."),
        };
        if (request is null)
        {
            return [];
        }

        await EnsureServerAsync(cancellationToken).ConfigureAwait(false);
        var mode = query.Mode.ToString().ToLowerInvariant();
        var candidates = await QueryAsync(request, $"{mode} search", cancellationToken).ConfigureAwait(false);
        var ranked = QdrantSearchHits.Rank(candidates, await CurrentGenerationsAsync(candidates, cancellationToken).ConfigureAwait(false), query.Top);
        if (ranked.Count == 0)
        {
            return [];
        }

        return query.Mode == SearchMode.Hybrid
            ? await HybridHitsAsync(query, ranked, rescoring, cancellationToken).ConfigureAwait(false)
            : await PlainHitsAsync(ranked, query.Mode, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The record generation of every document among the candidates (one get of their records).</summary>
    private async Task<IReadOnlyDictionary<string, long>> CurrentGenerationsAsync(IReadOnlyList<ScoredPoint> candidates, CancellationToken cancellationToken)
    {
        var documents = candidates.Select(p => Payload.String(p.Payload, PayloadFields.DocumentId)).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        if (documents.Length == 0)
        {
            return new Dictionary<string, long>();
        }

        var payload = new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { PayloadFields.DocumentId, PayloadFields.Generation } } };
        var records = await GetPointsAsync(Records, documents.Select(QdrantPointIds.ForDocument), "reading the searched documents' records", toleratesMissingCollection: false, cancellationToken, payload)
            .ConfigureAwait(false);
        return records
            .Where(r => Payload.String(r.Payload, PayloadFields.DocumentId) is not null)
            .ToDictionary(r => Payload.String(r.Payload, PayloadFields.DocumentId)!, r => QdrantChunkPoints.GenerationOf(r.Payload), StringComparer.Ordinal);
    }

    /// <summary>Dense or lexical hits: the candidate score is the hit's score; the payloads come by id.</summary>
    private async Task<IReadOnlyList<SearchHit>> PlainHitsAsync(IReadOnlyList<ScoredPoint> ranked, SearchMode mode, CancellationToken cancellationToken)
    {
        var points = await GetPointsAsync(Chunks, ranked.Select(p => p.Id), "reading the hits", toleratesMissingCollection: false, cancellationToken).ConfigureAwait(false);
        var payloads = points.ToDictionary(p => QdrantPointIds.Format(p.Id), p => p.Payload, StringComparer.Ordinal);
        return ranked
            .Where(p => payloads.ContainsKey(QdrantPointIds.Format(p.Id))) // removed since the query
            .Select(p => QdrantSearchHits.ToHit(
                p.Id,
                payloads[QdrantPointIds.Format(p.Id)],
                p.Score,
                mode == SearchMode.Dense ? p.Score : null,
                mode == SearchMode.Lexical ? p.Score : null))
            .ToArray();
    }

    /// <summary>
    /// Hybrid hits: the fused score from the candidates, the exact cosine and the lexical score
    /// from id-restricted queries sent as one batch (the first of which brings the payloads).
    /// </summary>
    private async Task<IReadOnlyList<SearchHit>> HybridHitsAsync(StoreQuery query, IReadOnlyList<ScoredPoint> ranked, SearchParams? rescoring, CancellationToken cancellationToken)
    {
        var ids = ranked.Select(p => p.Id).ToArray();
        var hasDense = !query.Vector.IsEmpty;
        var hasLexical = query.Sparse.Count > 0;
        var batch = new QueryBatchPoints { CollectionName = Chunks, Timeout = _options.ServerTimeoutSeconds };
        if (hasDense)
        {
            batch.QueryPoints.Add(QdrantQueries.DenseScores(Chunks, query, ids, _consistency, rescoring));
        }

        if (hasLexical)
        {
            batch.QueryPoints.Add(QdrantQueries.LexicalScores(Chunks, query, ids, _consistency, withPayload: !hasDense));
        }

        if (_consistency is not null)
        {
            batch.ReadConsistency = _consistency;
        }

        var results = await _calls.RunAsync(
            "scoring the hybrid hits",
            Chunks,
            async ct => (await _client.Points.QueryBatchAsync(batch, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
            cancellationToken).ConfigureAwait(false);
        var dense = hasDense ? QdrantSearchHits.ById(results[0].Result) : null;
        var lexical = hasLexical ? QdrantSearchHits.ById(results[hasDense ? 1 : 0].Result) : [];
        var withPayloads = dense ?? lexical;
        return ranked
            .Where(p => withPayloads.ContainsKey(QdrantPointIds.Format(p.Id))) // removed since the query
            .Select(p =>
            {
                var key = QdrantPointIds.Format(p.Id);
                return QdrantSearchHits.ToHit(
                    p.Id,
                    withPayloads[key].Payload,
                    p.Score,
                    dense?[key].Score,
                    lexical.TryGetValue(key, out var scored) ? scored.Score : null);
            })
            .ToArray();
    }

    private async Task<IReadOnlyList<ScoredPoint>> QueryAsync(QueryPoints request, string operation, CancellationToken cancellationToken)
    {
        request.Timeout = _options.ServerTimeoutSeconds;
        return await _calls.RunAsync(
            operation,
            Chunks,
            async ct => (IReadOnlyList<ScoredPoint>)(await _client.Points.QueryAsync(request, cancellationToken: ct, deadline: Deadline()).ConfigureAwait(false)).Result,
            cancellationToken).ConfigureAwait(false);
    }
}

using Grpc.Core;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Qdrant.Client.Grpc;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantMethods;
using SparseVector = KnowledgeQa.Retrieval.Lexical.SparseVector;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// What <see cref="QdrantKnowledgeStore"/> sends to Qdrant and how it reacts to given answers,
/// checked through a recording gRPC invoker (no server: behaviour against a real Qdrant is the
/// conformance suite's job, run when QDRANT_URL is set).
/// </summary>
public sealed class QdrantKnowledgeStoreRequestTests
{
    private const string Url = "http://qdrant.test:6334";

    private static (QdrantKnowledgeStore Store, RecordingCallInvoker Invoker) NewStore(Action<QdrantStoreOptions>? configure = null)
    {
        var options = new QdrantStoreOptions
        {
            Url = Url,
            Collection = "kb",
            RetryBaseDelay = TimeSpan.Zero,
            MaxRetryDelay = TimeSpan.Zero,
        };
        configure?.Invoke(options);
        var invoker = new RecordingCallInvoker().Always(HealthCheckCall, Healthy());
        return (new QdrantKnowledgeStore(options, new QdrantGrpcClient(invoker)), invoker);
    }

    /// <summary>Scripts the answers of an initialisation against existing, matching collections.</summary>
    private static async Task InitializeExistingAsync(QdrantKnowledgeStore store, RecordingCallInvoker invoker)
    {
        invoker.Then(GetCollectionCall, ChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .Then(GetCollectionCall, DocumentCollection());
        await store.InitializeAsync(Dimensions, Model, TestContext.Current.CancellationToken);
        // Each upsert first reads the document's record: not stored yet.
        invoker.Always(GetPointsCall, Points());
    }

    [Fact]
    public async Task Initialize_creates_both_collections_with_the_configured_layout_and_records_the_model()
    {
        var (store, invoker) = NewStore(o =>
        {
            o.ShardNumber = 6;
            o.ReplicationFactor = 3;
            o.WriteConsistencyFactor = 2;
            o.WriteOrdering = QdrantWriteOrdering.Strong;
            o.OnDiskVectors = true;
            o.ScalarQuantization = true;
        });
        invoker.ThenFail(GetCollectionCall, StatusCode.NotFound, "Collection `kb` doesn't exist!")
            .ThenFail(GetCollectionCall, StatusCode.NotFound, "Collection `kb_documents` doesn't exist!")
            .Then(GetCollectionCall, ChunkCollection(Dimensions))
            .Then(GetCollectionCall, DocumentCollection(indexed: false))
            .Always(CreateCollectionCall, Done())
            .Always(CreateFieldIndexCall, Completed());

        await store.InitializeAsync(Dimensions, Model, TestContext.Current.CancellationToken);

        var creates = invoker.Requests<CreateCollection>(CreateCollectionCall).ToArray();
        Assert.Equal(2, creates.Length);
        var chunks = creates[0];
        Assert.Equal("kb", chunks.CollectionName);
        var dense = chunks.VectorsConfig.ParamsMap.Map["dense"];
        Assert.Equal((ulong)Dimensions, dense.Size);
        Assert.Equal(Distance.Cosine, dense.Distance);
        Assert.Equal(Memory.Cold, dense.Memory);
        Assert.Equal(Modifier.Idf, chunks.SparseVectorsConfig.Map["lexical"].Modifier);
        Assert.Equal(6u, chunks.ShardNumber);
        Assert.Equal(3u, chunks.ReplicationFactor);
        Assert.Equal(2u, chunks.WriteConsistencyFactor);
        Assert.Equal(QuantizationType.Int8, chunks.QuantizationConfig.Scalar.Type);

        var records = creates[1];
        Assert.Equal("kb_documents", records.CollectionName);
        Assert.Equal(1ul, records.VectorsConfig.Params.Size);
        Assert.Equal(1u, records.ShardNumber);
        Assert.Equal(3u, records.ReplicationFactor);

        var indexes = invoker.Requests<CreateFieldIndexCollection>(CreateFieldIndexCall).ToArray();
        Assert.Equal(
            ["kb/document_id", "kb/tags", "kb/tenant", "kb/text_hash", "kb_documents/kind", "kb_documents/source_name"],
            indexes.Select(i => $"{i.CollectionName}/{i.FieldName}"));
        Assert.All(indexes, i => Assert.Equal(FieldType.Keyword, i.FieldType));
        Assert.True(indexes.Single(i => i.FieldName == "tenant").FieldIndexParams.KeywordIndexParams.IsTenant);

        Assert.All(indexes, i => Assert.Equal(WriteOrderingType.Strong, i.Ordering.Type));

        // The model is recorded by the creation itself, in the collection's metadata: no point to lose or race.
        Assert.Equal(Model, chunks.Metadata["embedding_model"].StringValue);
        Assert.Equal(Dimensions, chunks.Metadata["dimensions"].IntegerValue);
        Assert.Equal(QdrantSchema.LayoutVersion, chunks.Metadata["layout_version"].IntegerValue);
        Assert.Empty(invoker.Requests<UpsertPoints>(UpsertCall));
        Assert.All(creates, c => Assert.Equal(30ul, c.Timeout));
        Assert.All(indexes, i => Assert.Equal(30ul, i.Timeout));
    }

    [Fact]
    public async Task Initialize_refuses_a_collection_of_another_vector_size_naming_both_sizes()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, ChunkCollection(768, "document_id", "tags", "tenant", "text_hash"))
            .Then(GetCollectionCall, DocumentCollection());

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.InitializeAsync(384, "all-MiniLM-L6-v2", TestContext.Current.CancellationToken));

        Assert.Contains("768", error.Message);
        Assert.Contains("384", error.Message);
        Assert.Contains("'kb'", error.Message);
        Assert.Contains("--collection", error.Message);
        Assert.Empty(invoker.Requests<CreateCollection>(CreateCollectionCall));
    }

    [Fact]
    public async Task Initialize_refuses_another_embedding_model()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, ChunkCollectionFor("bge-small", Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .Then(GetCollectionCall, DocumentCollection());

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.InitializeAsync(Dimensions, Model, TestContext.Current.CancellationToken));

        Assert.Contains("bge-small", error.Message);
        Assert.Contains(Model, error.Message);
        Assert.Empty(invoker.Requests<UpdateCollection>(UpdateCollectionCall));
    }

    [Fact]
    public async Task Initialize_refuses_a_server_older_than_the_minimum_version()
    {
        var options = new QdrantStoreOptions { Url = Url };
        var invoker = new RecordingCallInvoker().Always(HealthCheckCall, Healthy("1.12.4"));
        await using var store = new QdrantKnowledgeStore(options, new QdrantGrpcClient(invoker));

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.InitializeAsync(Dimensions, Model, TestContext.Current.CancellationToken));

        Assert.Contains("1.12.4", error.Message);
        Assert.Contains("1.16", error.Message);
        Assert.Contains(Url, error.Message);
    }

    [Fact]
    public async Task Upserting_600_chunks_sends_three_bounded_batches_then_commits_the_record_then_removes_older_generations()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        invoker.Then(GetPointsCall, Points()).Always(GetPointsCall, LastWrittenRecord(invoker))
            .Always(UpsertCall, Completed()).Always(DeleteCall, Completed());
        var document = Document(tenant: "acme", tags: ["manual"]);
        var chunks = Chunks(document.Id, 600);

        Assert.Equal(DocumentWriteResult.Added, await store.UpsertDocumentAsync(document, chunks, TestContext.Current.CancellationToken));

        var writes = invoker.Calls.Where(c => c.Method is UpsertCall or DeleteCall or GetPointsCall).Skip(1).ToArray();
        Assert.Equal(
            [$"{UpsertCall} kb", $"{UpsertCall} kb", $"{UpsertCall} kb", $"{UpsertCall} kb_documents", $"{GetPointsCall} kb_documents", $"{DeleteCall} kb"],
            writes.Select(c => $"{c.Method} {CollectionOf(c.Request)}"));

        var batches = writes.Take(3).Select(c => (UpsertPoints)c.Request).ToArray();
        Assert.Equal([256, 256, 88], batches.Select(b => b.Points.Count));
        Assert.All(batches, b => Assert.True(b.Wait));
        Assert.All(batches, b => Assert.Null(b.UpdateFilter)); // the points are new: ids of this generation
        var generation = batches[0].Points[0].Payload["generation"].IntegerValue;
        Assert.All(batches.SelectMany(b => b.Points), p => Assert.Equal(generation, p.Payload["generation"].IntegerValue));
        Assert.Equal(chunks.Select(c => c.Chunk.Id), batches.SelectMany(b => b.Points).Select(p => p.Payload["chunk_id"].StringValue));
        Assert.Equal(chunks.Select(c => QdrantPointIds.ForChunk(c.Chunk.Id, generation)), batches.SelectMany(b => b.Points).Select(p => p.Id));

        // The commit: the record moves to this generation only if it holds an older one (or none).
        var commit = (UpsertPoints)writes[3].Request;
        var record = Assert.Single(commit.Points);
        Assert.Equal(600, record.Payload["chunk_count"].IntegerValue);
        Assert.Equal(document.ContentHash, record.Payload["content_hash"].StringValue);
        Assert.Equal(generation, record.Payload["generation"].IntegerValue);
        Assert.Equal((double)generation, Assert.Single(commit.UpdateFilter.MustNot).Field.Range.Gte);

        // Then what is older than the record's generation (read back) goes: never a newer write's points.
        var superseded = ((DeletePoints)writes[5].Request).Points.Filter;
        Assert.Equal(document.Id, Assert.Single(superseded.Must).Field.Match.Keyword);
        Assert.Equal((double)generation, Assert.Single(superseded.MustNot).Field.Range.Gte);

        // Every call carries the server-side timeout.
        Assert.All(invoker.Requests<UpsertPoints>(UpsertCall), u => Assert.Equal(30ul, u.Timeout));
        Assert.All(invoker.Requests<DeletePoints>(DeleteCall), d => Assert.Equal(30ul, d.Timeout));
        Assert.All(invoker.Requests<GetPoints>(GetPointsCall), g => Assert.Equal(30ul, g.Timeout));
    }

    [Fact]
    public async Task A_write_that_lost_to_a_newer_writer_removes_its_own_points_and_leaves_the_newer_ones()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        var document = Document();
        // Another process committed a newer generation while this write was sending its chunks.
        var newer = QdrantDocumentPoints.ToPoint(document with { ContentHash = "theirs", ChunkCount = 1 }, QdrantGenerations.Next() + 1_000_000_000);
        invoker.Then(GetPointsCall, Points()).Always(GetPointsCall, Points(newer))
            .Always(UpsertCall, Completed()).Always(DeleteCall, Completed());

        await store.UpsertDocumentAsync(document, Chunks(document.Id, 2), TestContext.Current.CancellationToken);

        var mine = invoker.Requests<UpsertPoints>(UpsertCall).First().Points[0].Payload["generation"].IntegerValue;
        var theirs = newer.Payload["generation"].IntegerValue;
        var delete = Assert.Single(invoker.Requests<DeletePoints>(DeleteCall));
        var kept = Assert.Single(delete.Points.Filter.MustNot).Field.Range.Gte;
        Assert.Equal((double)theirs, kept);
        Assert.True(mine < kept); // this write's points are removed, the newer write's kept
    }

    [Fact]
    public async Task Two_writes_of_one_document_use_distinct_generations_and_point_ids()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        invoker.Always(UpsertCall, Completed()).Always(DeleteCall, Completed());
        var document = Document();

        await store.UpsertDocumentAsync(document, Chunks(document.Id, 3), TestContext.Current.CancellationToken);
        await store.UpsertDocumentAsync(document with { ContentHash = "v2" }, Chunks(document.Id, 3), TestContext.Current.CancellationToken);

        var chunkWrites = invoker.Requests<UpsertPoints>(UpsertCall).Where(u => u.CollectionName == "kb").ToArray();
        Assert.Equal(2, chunkWrites.Length);
        Assert.Empty(chunkWrites[0].Points.Select(p => p.Id).Intersect(chunkWrites[1].Points.Select(p => p.Id)));
        Assert.True(chunkWrites[1].Points[0].Payload["generation"].IntegerValue > chunkWrites[0].Points[0].Payload["generation"].IntegerValue);
    }

    [Fact]
    public async Task A_transient_error_is_retried_and_the_write_then_succeeds()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        invoker.ThenFail(UpsertCall, StatusCode.Unavailable, "Error connecting to subchannel.")
            .Always(UpsertCall, Completed())
            .Always(DeleteCall, Completed());
        var document = Document();

        await store.UpsertDocumentAsync(document, Chunks(document.Id, 2), TestContext.Current.CancellationToken);

        var upserts = invoker.Requests<UpsertPoints>(UpsertCall).ToArray();
        Assert.Equal(3, upserts.Length); // failed batch, its retry, the record
        Assert.Equal(upserts[0], upserts[1]); // same ids: the retry overwrites what a half-applied first try wrote
        Assert.Equal("kb_documents", upserts[2].CollectionName);
    }

    [Fact]
    public async Task A_write_qdrant_did_not_report_applied_is_retried()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        invoker.Then(UpsertCall, new PointsOperationResponse { Result = new UpdateResult { Status = UpdateStatus.WaitTimeout } })
            .Always(UpsertCall, Completed())
            .Always(DeleteCall, Completed());
        var document = Document();

        await store.UpsertDocumentAsync(document, Chunks(document.Id, 1), TestContext.Current.CancellationToken);

        Assert.Equal(3, invoker.Requests<UpsertPoints>(UpsertCall).Count());
    }

    [Fact]
    public async Task A_permanent_error_stops_at_once_with_a_message_naming_endpoint_collection_and_cause()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        invoker.AlwaysFail(UpsertCall, StatusCode.InvalidArgument, "Wrong input: Vector dimension error: expected dim: 4, got 3");
        var document = Document();

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.UpsertDocumentAsync(document, Chunks(document.Id, 2), TestContext.Current.CancellationToken));

        Assert.Single(invoker.Requests<UpsertPoints>(UpsertCall));
        Assert.Contains(Url, error.Message);
        Assert.Contains("collection 'kb'", error.Message);
        Assert.Contains("InvalidArgument", error.Message);
        Assert.Contains("expected dim: 4", error.Message);
        Assert.Contains(document.Id, error.Message);
        Assert.IsType<RpcException>(error.InnerException);
    }

    [Fact]
    public async Task Transient_errors_past_the_last_retry_stop_with_the_number_of_attempts()
    {
        var (store, invoker) = NewStore(o => o.MaxRetries = 2);
        await InitializeExistingAsync(store, invoker);
        invoker.AlwaysFail(UpsertCall, StatusCode.ResourceExhausted, "too many requests");
        var document = Document();

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.UpsertDocumentAsync(document, Chunks(document.Id, 2), TestContext.Current.CancellationToken));

        Assert.Equal(3, invoker.Requests<UpsertPoints>(UpsertCall).Count());
        Assert.Contains("after 3 attempts", error.Message);
        Assert.Contains("rate-limiting", error.Message);
        Assert.Contains("disk", error.Message);
    }

    [Fact]
    public async Task Writing_before_initialisation_is_refused()
    {
        var (store, _) = NewStore();
        var document = Document();

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => store.UpsertDocumentAsync(document, Chunks(document.Id, 1), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_chunk_vector_of_the_wrong_size_is_refused_before_anything_is_sent()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        var document = Document();

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.UpsertDocumentAsync(document, Chunks(document.Id, 2, dimensions: 3), TestContext.Current.CancellationToken));

        Assert.Contains("3-dimensional", error.Message);
        Assert.Empty(invoker.Requests<UpsertPoints>(UpsertCall));
    }

    [Fact]
    public async Task Hybrid_search_fuses_slim_candidates_with_rrf_then_scores_the_kept_hits_in_one_batch()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        var document = Document(tenant: "acme", tags: ["manual"]);
        var chunks = Chunks(document.Id, 3);
        var points = chunks.Select(c => QdrantChunkPoints.ToPoint(document, c, Generation)).ToArray();
        invoker.Then(QueryCall, new QueryResponse { Result = { Candidate(points[1], 0.032f), Candidate(points[0], 0.016f) } })
            .Then(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(document, Generation)))
            .Then(QueryBatchCall, Batch([Scored(points[1], 0.91f), Scored(points[0], 0.42f)], [Scored(points[1], 3.25f, withPayload: false)]));
        float[] queryVector = [0.1f, 0.2f, 0.3f, 0.4f];
        var query = new StoreQuery
        {
            Vector = queryVector,
            Sparse = new SparseVector([3u, 8u], [1f, 1f]),
            Top = 2,
            Candidates = 40,
            FusionK = 60,
            Filter = new SearchFilter { Tags = ["manual"], Tenant = "acme" },
        };

        var hits = await store.SearchAsync(query, TestContext.Current.CancellationToken);

        var fused = Assert.Single(invoker.Requests<QueryPoints>(QueryCall));
        Assert.Equal(61u, fused.Query.Rrf.K);
        Assert.True(fused.Limit > 2); // a few more than asked: hidden points and ties at the cut
        Assert.Equal(["dense", "lexical"], fused.Prefetch.Select(p => p.Using));
        Assert.All(fused.Prefetch, p => Assert.Equal(40ul, p.Limit));
        Assert.All(fused.Prefetch, p => Assert.Equal(2, p.Filter.Must.Count));
        Assert.Equal(queryVector, fused.Prefetch[0].Query.Nearest.Dense.Data);
        Assert.Equal([3u, 8u], fused.Prefetch[1].Query.Nearest.Sparse.Indices);
        Assert.Equal(2, fused.Filter.Must.Count);
        // Ids, scores and three small payload fields for the candidates: no vectors, no chunk text.
        Assert.False(fused.WithVectors.Enable);
        Assert.Equal(["document_id", "chunk_id", "generation"], fused.WithPayload.Include.Fields);
        Assert.Equal(30ul, fused.Timeout);

        var batch = Assert.Single(invoker.Requests<QueryBatchPoints>(QueryBatchCall)).QueryPoints;
        Assert.Equal(["dense", "lexical"], batch.Select(q => q.Using));
        Assert.All(batch, q => Assert.Equal([points[1].Id, points[0].Id], Assert.Single(q.Filter.Must).HasId.HasId));
        Assert.True(batch[0].WithPayload.Enable);
        Assert.False(batch[1].WithPayload.Enable);

        Assert.Equal([chunks[1].Chunk.Id, chunks[0].Chunk.Id], hits.Select(h => h.Chunk.Id));
        Assert.Equal(0.032, hits[0].Score, 5);
        Assert.Equal(0.91, hits[0].DenseScore!.Value, 5);
        Assert.Equal(0.42, hits[1].DenseScore!.Value, 5);
        Assert.Equal(3.25, hits[0].LexicalScore!.Value, 5);
        Assert.Null(hits[1].LexicalScore); // shares no term with the query
        Assert.Equal(document.Source, hits[0].Source);
        Assert.Equal(["manual"], hits[0].Tags);
    }

    [Fact]
    public async Task Dense_queries_and_the_dense_prefetch_rescore_under_quantization_by_default()
    {
        var (store, invoker) = NewStore(o => o.QuantizationOversampling = 3);
        await InitializeExistingAsync(store, invoker);
        invoker.Always(QueryCall, new QueryResponse());

        await store.SearchAsync(new StoreQuery { Vector = new float[] { 1, 0, 0, 0 }, Sparse = new SparseVector([5u], [1f]) }, TestContext.Current.CancellationToken);
        await store.SearchAsync(new StoreQuery { Vector = new float[] { 1, 0, 0, 0 }, Mode = SearchMode.Dense }, TestContext.Current.CancellationToken);

        var requests = invoker.Requests<QueryPoints>(QueryCall).ToArray();
        var prefetch = requests[0].Prefetch.Single(p => p.Using == "dense");
        Assert.True(prefetch.Params.Quantization.Rescore);
        Assert.Equal(3, prefetch.Params.Quantization.Oversampling);
        Assert.Null(requests[0].Prefetch.Single(p => p.Using == "lexical").Params);
        Assert.True(requests[1].Params.Quantization.Rescore);

        var (plain, plainInvoker) = NewStore(o => o.QuantizationRescore = false);
        await InitializeExistingAsync(plain, plainInvoker);
        plainInvoker.Always(QueryCall, new QueryResponse());
        await plain.SearchAsync(new StoreQuery { Vector = new float[] { 1, 0, 0, 0 }, Mode = SearchMode.Dense }, TestContext.Current.CancellationToken);
        Assert.Null(Assert.Single(plainInvoker.Requests<QueryPoints>(QueryCall)).Params);
    }

    [Fact]
    public async Task Equal_fused_scores_are_ordered_by_chunk_id_whatever_order_qdrant_returns_them_in()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        var document = Document();
        var points = Chunks(document.Id, 4).Select(c => QdrantChunkPoints.ToPoint(document, c, Generation)).ToArray();
        var byChunkId = points.OrderBy(p => p.Payload["chunk_id"].StringValue, StringComparer.Ordinal).ToArray();
        invoker.Then(QueryCall, new QueryResponse { Result = { byChunkId.Reverse().Select(p => Candidate(p, 0.5f)) } })
            .Then(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(document, Generation)))
            .Then(QueryBatchCall, Batch([.. points.Select(p => Scored(p, 0.1f))]));

        var hits = await store.SearchAsync(new StoreQuery { Vector = new float[] { 1, 0, 0, 0 }, Top = 3 }, TestContext.Current.CancellationToken);

        Assert.Equal(byChunkId.Take(3).Select(p => p.Payload["chunk_id"].StringValue), hits.Select(h => h.Chunk.Id));
    }

    [Fact]
    public async Task Search_hides_chunks_that_are_not_their_documents_current_version()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        var current = Document("a.md");
        var orphan = Document("gone.md");
        var committed = QdrantChunkPoints.ToPoint(current, Chunks(current.Id, 1)[0], Generation);
        var inProgress = QdrantChunkPoints.ToPoint(current with { ContentHash = "next" }, MakeChunk(current.Id, 0, "the next version"), Generation + 5);
        var withoutRecord = QdrantChunkPoints.ToPoint(orphan, Chunks(orphan.Id, 1)[0], Generation);
        invoker.Then(QueryCall, new QueryResponse { Result = { Candidate(inProgress, 0.9f), Candidate(withoutRecord, 0.8f), Candidate(committed, 0.7f) } })
            .Then(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(current, Generation)))
            .Then(GetPointsCall, Points(committed));

        var hits = await store.SearchAsync(new StoreQuery { Vector = new float[] { 1, 0, 0, 0 }, Mode = SearchMode.Dense }, TestContext.Current.CancellationToken);

        var hit = Assert.Single(hits);
        Assert.Equal(committed.Payload["chunk_id"].StringValue, hit.Chunk.Id);
        var recordRead = invoker.Requests<GetPoints>(GetPointsCall).Last(g => g.CollectionName == "kb_documents");
        Assert.Equal([QdrantPointIds.ForDocument("a.md"), QdrantPointIds.ForDocument("gone.md")], recordRead.Ids);
        Assert.Equal(["document_id", "generation"], recordRead.WithPayload.Include.Fields);
    }

    [Fact]
    public async Task Hybrid_search_without_query_terms_fuses_the_dense_side_only()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        invoker.Then(QueryCall, new QueryResponse());

        var hits = await store.SearchAsync(
            new StoreQuery { Vector = new float[] { 1, 0, 0, 0 }, Sparse = SparseVector.Empty },
            TestContext.Current.CancellationToken);

        Assert.Empty(hits);
        var request = Assert.Single(invoker.Requests<QueryPoints>(QueryCall));
        Assert.Equal("dense", Assert.Single(request.Prefetch).Using);
    }

    [Fact]
    public async Task Hybrid_search_without_a_query_vector_fuses_the_lexical_side_and_reports_no_dense_score()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        var document = Document();
        var point = QdrantChunkPoints.ToPoint(document, Chunks(document.Id, 1)[0], Generation);
        invoker.Then(QueryCall, new QueryResponse { Result = { Candidate(point, 0.5f) } })
            .Then(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(document, Generation)))
            .Then(QueryBatchCall, Batch([Scored(point, 2f)]));

        var hit = Assert.Single(await store.SearchAsync(
            new StoreQuery { Sparse = new SparseVector([5u], [1f]) },
            TestContext.Current.CancellationToken));

        var fused = Assert.Single(invoker.Requests<QueryPoints>(QueryCall));
        Assert.Equal("lexical", Assert.Single(fused.Prefetch).Using);
        var lexical = Assert.Single(Assert.Single(invoker.Requests<QueryBatchPoints>(QueryBatchCall)).QueryPoints);
        Assert.True(lexical.WithPayload.Enable); // no dense query brings the payloads
        Assert.Null(hit.DenseScore);
        Assert.Equal(2, hit.LexicalScore);
    }

    [Fact]
    public async Task Dense_search_queries_the_dense_vector_and_reports_the_cosine_as_dense_score()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        var document = Document();
        var point = QdrantChunkPoints.ToPoint(document, Chunks(document.Id, 1)[0], Generation);
        invoker.Then(QueryCall, new QueryResponse { Result = { Candidate(point, 0.75f) } })
            .Then(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(document, Generation)))
            .Then(GetPointsCall, Points(point));

        var hits = await store.SearchAsync(
            new StoreQuery { Vector = new float[] { 1, 0, 0, 0 }, Mode = SearchMode.Dense, Top = 3, Filter = new SearchFilter { DocumentIds = [document.Id] } },
            TestContext.Current.CancellationToken);

        var request = Assert.Single(invoker.Requests<QueryPoints>(QueryCall));
        Assert.Equal("dense", request.Using);
        Assert.True(request.Limit >= 3);
        Assert.Equal([1f, 0f, 0f, 0f], request.Query.Nearest.Dense.Data);
        Assert.Equal(document.Id, Assert.Single(Assert.Single(request.Filter.Must).Field.Match.Keywords.Strings));
        var hit = Assert.Single(hits);
        Assert.Equal(0.75, hit.Score, 5);
        Assert.Equal(0.75, hit.DenseScore!.Value, 5);
        Assert.Null(hit.LexicalScore);
        Assert.Equal("Passage 0 of guide.md.", hit.Chunk.Text);
    }

    [Fact]
    public async Task Lexical_search_queries_the_sparse_vector()
    {
        var (store, invoker) = NewStore();
        await InitializeExistingAsync(store, invoker);
        invoker.Then(QueryCall, new QueryResponse());

        await store.SearchAsync(
            new StoreQuery { Sparse = new SparseVector([5u], [2f]), Mode = SearchMode.Lexical },
            TestContext.Current.CancellationToken);

        var request = Assert.Single(invoker.Requests<QueryPoints>(QueryCall));
        Assert.Equal("lexical", request.Using);
        Assert.Equal([5u], request.Query.Nearest.Sparse.Indices);
        Assert.Equal([2f], request.Query.Nearest.Sparse.Values);
    }

    [Fact]
    public async Task Reading_a_collection_that_does_not_exist_says_so_and_lists_the_existing_ones()
    {
        var (store, invoker) = NewStore(o => o.Collection = "handbok");
        invoker.AlwaysFail(GetCollectionCall, StatusCode.NotFound, "Collection `handbok` doesn't exist!")
            .AlwaysFail(GetPointsCall, StatusCode.NotFound, "Collection `handbok_documents` doesn't exist!")
            .AlwaysFail(ScrollCall, StatusCode.NotFound, "Collection `handbok_documents` doesn't exist!")
            .AlwaysFail(QueryCall, StatusCode.NotFound, "Collection `handbok` doesn't exist!")
            .AlwaysFail(DeleteCall, StatusCode.NotFound, "Collection `handbok` doesn't exist!")
            .Always(ListCollectionsCall, CollectionsNamed("handbook", "handbook_documents", "notes", "notes_documents"));
        var ct = TestContext.Current.CancellationToken;

        var errors = new[]
        {
            await Assert.ThrowsAsync<QdrantCollectionNotFoundException>(() => store.SearchAsync(new StoreQuery { Vector = new float[] { 1, 0, 0, 0 } }, ct)),
            await Assert.ThrowsAsync<QdrantCollectionNotFoundException>(() => store.GetStatisticsAsync(ct)),
            await Assert.ThrowsAsync<QdrantCollectionNotFoundException>(() => store.GetDocumentAsync("a.md", ct)),
            await Assert.ThrowsAsync<QdrantCollectionNotFoundException>(async () => await store.ListDocumentsAsync(ct).ToListAsync(ct)),
        };

        Assert.All(errors, e => Assert.Contains("handbook, notes", e.Message));
        Assert.All(errors, e => Assert.Contains("--collection", e.Message));
        Assert.Contains("no collection 'handbok'", errors[0].Message);
        Assert.Contains("no collection 'handbok_documents'", errors[2].Message);
        // What an ingest reads before it creates the collections still reads as empty.
        Assert.Empty(await store.ListSourcesAsync(ct).ToListAsync(ct));
        Assert.Null(await store.GetSourceAsync("docs", ct));
        Assert.Empty(await store.ListFailuresAsync(null, ct));
        Assert.False(await store.DeleteDocumentAsync("a.md", ct));
    }

    [Fact]
    public async Task Statistics_count_chunks_exactly_and_only_document_records_among_the_records()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, ChunkCollection(Dimensions))
            .Then(CountCall, CountOf(7))
            .Then(CountCall, CountOf(2));

        var statistics = await store.GetStatisticsAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new StoreStatistics(2, 7, Dimensions, Model), statistics);
        var counts = invoker.Requests<CountPoints>(CountCall).ToArray();
        Assert.All(counts, c => Assert.True(c.Exact));
        Assert.Equal(("kb", "kb_documents"), (counts[0].CollectionName, counts[1].CollectionName));
        Assert.Null(counts[0].Filter);
        Assert.Equal("document", Assert.Single(counts[1].Filter.Must).Field.Match.Keyword);
    }

    [Fact]
    public async Task Listing_documents_pages_through_the_scroll_offsets()
    {
        var (store, invoker) = NewStore();
        var first = QdrantDocumentPoints.ToPoint(Document("a.md"), Generation);
        var second = QdrantDocumentPoints.ToPoint(Document("b.md", tenant: "acme", tags: ["x", "y"]), Generation);
        invoker.Then(ScrollCall, new ScrollResponse { Result = { Retrieved(first) }, NextPageOffset = second.Id })
            .Then(ScrollCall, new ScrollResponse { Result = { Retrieved(second) } });
        var ct = TestContext.Current.CancellationToken;

        var documents = await store.ListDocumentsAsync(ct).ToListAsync(ct);

        Assert.Equal(["a.md", "b.md"], documents.Select(d => d.Id));
        Assert.Equal(["x", "y"], documents[1].Tags);
        Assert.Equal("acme", documents[1].Tenant);
        var requests = invoker.Requests<ScrollPoints>(ScrollCall).ToArray();
        Assert.Null(requests[0].Offset);
        Assert.Equal(second.Id, requests[1].Offset);
        Assert.All(requests, r => Assert.Equal("document", Assert.Single(r.Filter.Must).Field.Match.Keyword));
    }

    [Fact]
    public async Task Reading_chunks_returns_them_in_index_order_with_their_vectors()
    {
        var (store, invoker) = NewStore();
        var document = Document();
        var chunks = Chunks(document.Id, 3);
        var points = chunks.Select(c => QdrantChunkPoints.ToPoint(document, c, Generation)).ToArray();
        var unfinished = QdrantChunkPoints.ToPoint(document, MakeChunk(document.Id, 0, "a newer write, not committed"), Generation + 1);
        invoker.Then(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(document, Generation)))
            .Then(ScrollCall, new ScrollResponse { Result = { Retrieved(points[2]), Retrieved(unfinished), Retrieved(points[0]), Retrieved(points[1]) } });
        var ct = TestContext.Current.CancellationToken;

        var read = await store.ReadChunksAsync(document.Id, ct).ToListAsync(ct);

        Assert.Equal([0, 1, 2], read.Select(c => c.Chunk.Index));
        Assert.DoesNotContain(read, c => c.Chunk.Text == "a newer write, not committed");
        Assert.Equal(chunks[1].Vector.ToArray(), read[1].Vector.ToArray());
        Assert.Equal(chunks[1].Sparse.Indices, read[1].Sparse.Indices);
        Assert.Equal(chunks[1].Chunk.Headings, read[1].Chunk.Headings);
        Assert.Equal(chunks[1].Chunk, read[1].Chunk with { Headings = chunks[1].Chunk.Headings });
        var request = Assert.Single(invoker.Requests<ScrollPoints>(ScrollCall));
        Assert.Equal(["dense", "lexical"], request.WithVectors.Include.Names);
    }

    [Fact]
    public async Task Deleting_a_document_removes_its_chunks_before_its_record()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(Document("a.md"), Generation)))
            .Always(DeleteCall, Completed());
        var ct = TestContext.Current.CancellationToken;

        Assert.True(await store.DeleteDocumentAsync("a.md", ct));

        var deletes = invoker.Requests<DeletePoints>(DeleteCall).ToArray();
        Assert.Equal(["kb", "kb_documents"], deletes.Select(d => d.CollectionName));
        Assert.Equal("a.md", Assert.Single(deletes[0].Points.Filter.Must).Field.Match.Keyword);
        Assert.Single(deletes[1].Points.Points.Ids);
    }

    [Fact]
    public async Task Deleting_an_unknown_document_reports_false()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetPointsCall, Points()).Always(DeleteCall, Completed());

        Assert.False(await store.DeleteDocumentAsync("missing.md", TestContext.Current.CancellationToken));
    }

    private static string CollectionOf(Google.Protobuf.IMessage request) => request switch
    {
        UpsertPoints u => u.CollectionName,
        DeletePoints d => d.CollectionName,
        GetPoints g => g.CollectionName,
        _ => "?",
    };
}

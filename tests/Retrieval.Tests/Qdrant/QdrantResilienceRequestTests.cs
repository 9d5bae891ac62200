using Grpc.Core;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Qdrant.Client.Grpc;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantMethods;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// Retries, time budgets, collection checks and the repair path, through the recording gRPC
/// invoker: what the store sends and how it reacts to scripted answers (no server).
/// </summary>
public sealed class QdrantResilienceRequestTests
{
    private const string Url = "http://qdrant.test:6334";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (QdrantKnowledgeStore Store, RecordingCallInvoker Invoker) NewStore(Action<QdrantStoreOptions>? configure = null)
    {
        var options = new QdrantStoreOptions { Url = Url, Collection = "kb", RetryBaseDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        var invoker = new RecordingCallInvoker().Always(HealthCheckCall, Healthy());
        return (new QdrantKnowledgeStore(options, new QdrantGrpcClient(invoker)), invoker);
    }

    [Fact]
    public async Task Internal_errors_that_ask_for_a_retry_are_retried_like_unavailable()
    {
        var (store, invoker) = NewStore();
        invoker.Then(ScrollCall, _ => throw new RpcException(new Status(StatusCode.Internal, "Service internal error: No active replica for shard 3 of collection kb_documents. Please retry")))
            .Then(ScrollCall, new ScrollResponse());

        Assert.Empty(await store.ListDocumentsAsync(Ct).ToListAsync(Ct));

        Assert.Equal(2, invoker.Requests<ScrollPoints>(ScrollCall).Count());
    }

    [Fact]
    public async Task Other_internal_errors_fail_at_once()
    {
        var (store, invoker) = NewStore();
        invoker.AlwaysFail(ScrollCall, StatusCode.Internal, "Service internal error: segment is corrupted");

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(async () => await store.ListDocumentsAsync(Ct).ToListAsync(Ct));

        Assert.Single(invoker.Requests<ScrollPoints>(ScrollCall));
        Assert.Contains("segment is corrupted", error.Message);
    }

    [Fact]
    public async Task An_operation_that_keeps_failing_stops_at_its_time_budget_not_after_every_retry()
    {
        var (store, invoker) = NewStore(o =>
        {
            o.MaxRetries = 100;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
            o.OperationTimeout = TimeSpan.FromMilliseconds(600);
        });
        invoker.AlwaysFail(ScrollCall, StatusCode.Unavailable, "Error connecting to subchannel.");

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(async () => await store.ListDocumentsAsync(Ct).ToListAsync(Ct));

        Assert.Contains("did not finish within", error.Message);
        Assert.Contains("OperationTimeout", error.Message);
        Assert.InRange(invoker.Requests<ScrollPoints>(ScrollCall).Count(), 1, 50); // far fewer than 101 attempts
    }

    [Fact]
    public void Timeouts_are_options_and_the_server_timeout_must_fit_in_the_client_deadline()
    {
        Assert.Contains("Store:Qdrant:ServerTimeout",
            Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { ServerTimeout = TimeSpan.FromSeconds(90), RequestTimeout = TimeSpan.FromSeconds(60) }.Validate()).Message);
        Assert.Contains("Store:Qdrant:ServerTimeout",
            Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { ServerTimeout = TimeSpan.FromMilliseconds(200) }.Validate()).Message);
        Assert.Contains("Store:Qdrant:OperationTimeout",
            Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { OperationTimeout = TimeSpan.Zero }.Validate()).Message);
        Assert.Contains("Store:Qdrant:QuantizationOversampling",
            Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { QuantizationOversampling = 0.5 }.Validate()).Message);
        Assert.Equal(8ul, new QdrantStoreOptions { ServerTimeout = TimeSpan.FromSeconds(7.2) }.ServerTimeoutSeconds);
    }

    [Fact]
    public async Task Every_read_carries_the_configured_server_timeout()
    {
        var (store, invoker) = NewStore(o => o.ServerTimeout = TimeSpan.FromSeconds(12));
        invoker.Always(ScrollCall, new ScrollResponse())
            .Always(GetPointsCall, Points())
            .Always(GetCollectionCall, ChunkCollection(Dimensions))
            .Always(CountCall, CountOf(0));

        await store.ListDocumentsAsync(Ct).ToListAsync(Ct);
        await store.GetDocumentAsync("a.md", Ct);
        await store.GetStatisticsAsync(Ct);
        await store.FindVectorsAsync(["h"], Ct);

        Assert.All(invoker.Requests<ScrollPoints>(ScrollCall), r => Assert.Equal(12ul, r.Timeout));
        Assert.All(invoker.Requests<GetPoints>(GetPointsCall), r => Assert.Equal(12ul, r.Timeout));
        Assert.All(invoker.Requests<CountPoints>(CountCall), r => Assert.Equal(12ul, r.Timeout));
    }

    [Fact]
    public async Task A_chunk_collection_whose_records_were_deleted_is_refused_not_recreated_half()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, ChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .ThenFail(GetCollectionCall, StatusCode.NotFound, "Collection `kb_documents` doesn't exist!")
            .Then(CountCall, CountOf(12));

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, Model, Ct));

        Assert.Contains("'kb_documents'", error.Message);
        Assert.Contains("Delete 'kb' too", error.Message);
        Assert.Empty(invoker.Requests<CreateCollection>(CreateCollectionCall));
    }

    [Fact]
    public async Task Records_whose_chunk_collection_was_deleted_are_refused_so_documents_never_read_as_unchanged()
    {
        var (store, invoker) = NewStore();
        invoker.ThenFail(GetCollectionCall, StatusCode.NotFound, "Collection `kb` doesn't exist!")
            .Then(GetCollectionCall, DocumentCollection())
            .Then(CountCall, CountOf(3));

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, Model, Ct));

        Assert.Contains("never be written again", error.Message);
        Assert.Contains("Delete 'kb_documents' too", error.Message);
        Assert.Empty(invoker.Requests<CreateCollection>(CreateCollectionCall));
        Assert.Equal("document", Assert.Single(Assert.Single(invoker.Requests<CountPoints>(CountCall)).Filter.Must).Field.Match.Keyword);
    }

    [Fact]
    public async Task An_empty_survivor_of_an_interrupted_creation_is_completed()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, ChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .ThenFail(GetCollectionCall, StatusCode.NotFound, "Collection `kb_documents` doesn't exist!")
            .Then(CountCall, CountOf(0))
            .Then(GetCollectionCall, DocumentCollection())
            .Always(CreateCollectionCall, Done());

        await store.InitializeAsync(Dimensions, Model, Ct);

        Assert.Equal("kb_documents", Assert.Single(invoker.Requests<CreateCollection>(CreateCollectionCall)).CollectionName);
    }

    [Theory]
    [InlineData("distance")]
    [InlineData("modifier")]
    [InlineData("records")]
    public async Task A_collection_kqa_did_not_lay_out_is_refused(string defect)
    {
        var (store, invoker) = NewStore();
        var chunks = ChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash");
        var records = DocumentCollection();
        switch (defect)
        {
            case "distance":
                chunks.Result.Config.Params.VectorsConfig.ParamsMap.Map["dense"].Distance = Distance.Dot;
                break;
            case "modifier":
                chunks.Result.Config.Params.SparseVectorsConfig.Map["lexical"].Modifier = Modifier.None;
                break;
            default:
                records.Result.Config.Params.VectorsConfig.Params.Size = 384;
                break;
        }

        invoker.Then(GetCollectionCall, chunks).Then(GetCollectionCall, records);

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, Model, Ct));

        Assert.Contains(defect switch { "distance" => "Dot", "modifier" => "IDF", _ => "'kb_documents'" }, error.Message);
        Assert.Contains("--collection", error.Message);
    }

    [Fact]
    public async Task A_layout_1_store_keeps_its_model_and_moves_the_record_into_the_collection_metadata()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, LegacyChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .Then(GetCollectionCall, DocumentCollection())
            .Then(GetPointsCall, MetadataPoint())
            .Always(UpdateCollectionCall, Done());

        await store.InitializeAsync(Dimensions, Model, Ct);

        var update = Assert.Single(invoker.Requests<UpdateCollection>(UpdateCollectionCall));
        Assert.Equal("kb", update.CollectionName);
        Assert.Equal(Model, update.Metadata["embedding_model"].StringValue);
        Assert.Equal(QdrantSchema.LayoutVersion, update.Metadata["layout_version"].IntegerValue);
    }

    [Fact]
    public async Task A_layout_1_store_of_another_model_is_refused_from_its_metadata_point()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, LegacyChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .Then(GetCollectionCall, DocumentCollection())
            .Then(GetPointsCall, MetadataPoint(model: "bge-small"));

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, Model, Ct));

        Assert.Contains("bge-small", error.Message);
        Assert.Empty(invoker.Requests<UpdateCollection>(UpdateCollectionCall));
    }

    [Fact]
    public async Task Repair_removes_superseded_and_interrupted_points_and_leaves_recent_writes_alone()
    {
        var (store, invoker) = NewStore();
        var now = QdrantGenerations.Of(DateTimeOffset.UtcNow);
        var old = QdrantGenerations.Of(DateTimeOffset.UtcNow.AddDays(-1));
        var committed = Document("a.md");
        var records = new ScrollResponse { Result = { Retrieved(QdrantDocumentPoints.ToPoint(committed, old + 10)) } };
        var chunks = new ScrollResponse
        {
            Result =
            {
                Slim("a.md", old),          // superseded by the record's generation
                Slim("a.md", old + 10),     // current
                Slim("a.md", old + 20),     // an interrupted newer write, a day old
                Slim("a.md", now),          // a newer write that may still be running
                Slim("gone.md", old),       // a new document whose write never committed
                Slim("fresh.md", now),      // a new document being written now
            },
        };
        invoker.Then(ScrollCall, records).Then(ScrollCall, chunks).Always(DeleteCall, Completed());

        var report = await store.RepairAsync(cancellationToken: Ct);

        Assert.Equal(new QdrantRepairReport(DocumentsChecked: 3, PointsRemoved: 3, DocumentsRepaired: 2, PointsLeftInProgress: 2) { PointsSuperseded = 1, PointsOfInterruptedWrites = 2 }, report);
        var deletes = invoker.Requests<DeletePoints>(DeleteCall).Select(d => d.Points.Filter).ToArray();
        Assert.Equal(3, deletes.Length);
        Assert.Equal((double)(old + 10), Assert.Single(deletes[0].MustNot).Field.Range.Gte); // a.md: before the record
        var between = deletes[1].Must[1].Field.Range;                                         // a.md: after the record, before the grace cut
        Assert.Equal((double)(old + 11), between.Gte);
        Assert.True(between.Lt < now && between.Lt > old + 20);
        Assert.Equal("gone.md", deletes[2].Must[0].Field.Match.Keyword);
        Assert.True(Assert.Single(deletes[2].MustNot).Field.Range.Gte < now);
        var scroll = invoker.Requests<ScrollPoints>(ScrollCall).Last();
        Assert.Equal(["document_id", "generation"], scroll.WithPayload.Include.Fields);
        Assert.False(scroll.WithVectors.Enable);
    }

    [Fact]
    public async Task A_server_older_than_1_16_is_refused_with_the_real_reason()
    {
        var options = new QdrantStoreOptions { Url = Url };
        var invoker = new RecordingCallInvoker().Always(HealthCheckCall, Healthy("1.15.3"));
        await using var store = new QdrantKnowledgeStore(options, new QdrantGrpcClient(invoker));

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, Model, Ct));

        Assert.Contains("reject its hybrid query", error.Message);
        Assert.DoesNotContain("k = 2", error.Message);
    }

    [Fact]
    public async Task A_wrong_api_key_is_reported_by_the_first_authenticated_call()
    {
        var (store, invoker) = NewStore();
        invoker.AlwaysFail(GetCollectionCall, StatusCode.PermissionDenied, "Invalid api-key");

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, Model, Ct));

        Assert.Contains("refused the API key", error.Message);
        Assert.Contains("--qdrant-api-key", error.Message);
    }
}

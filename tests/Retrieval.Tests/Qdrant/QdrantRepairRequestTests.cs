using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Qdrant.Client.Grpc;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantMethods;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// `kqa repair` on Qdrant (the store's <see cref="IRepairableStore"/>), the record touch that must
/// not bring back a deleted record, and the wire format of the fields the write path relies on,
/// through the recording gRPC invoker (no server).
/// </summary>
public sealed class QdrantRepairRequestTests
{
    private const string Url = "http://qdrant.test:6334";
    private const string TouchCall = "/qdrant.Points/OverwritePayload";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (QdrantKnowledgeStore Store, RecordingCallInvoker Invoker) NewStore()
    {
        var options = new QdrantStoreOptions { Url = Url, Collection = "kb", RetryBaseDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.Zero };
        var invoker = new RecordingCallInvoker().Always(HealthCheckCall, Healthy());
        return (new QdrantKnowledgeStore(options, new QdrantGrpcClient(invoker)), invoker);
    }

    /// <summary>One committed document with a superseded point, an interrupted write a day old, a record-less old write and a running one.</summary>
    private static void ScriptDamagedStore(RecordingCallInvoker invoker)
    {
        var now = QdrantGenerations.Of(DateTimeOffset.UtcNow);
        var old = QdrantGenerations.Of(DateTimeOffset.UtcNow.AddDays(-1));
        var records = new ScrollResponse { Result = { Retrieved(QdrantDocumentPoints.ToPoint(Document("a.md"), old + 10)) } };
        var chunks = new ScrollResponse
        {
            Result = { Slim("a.md", old), Slim("a.md", old + 10), Slim("a.md", old + 20), Slim("gone.md", old), Slim("fresh.md", now) },
        };
        invoker.Then(ScrollCall, records).Then(ScrollCall, chunks).Always(DeleteCall, Completed());
    }

    [Fact]
    public async Task Repair_through_the_common_interface_reports_each_kind_and_removes_it()
    {
        var (store, invoker) = NewStore();
        ScriptDamagedStore(invoker);

        var report = await ((IRepairableStore)store).RepairAsync(new StoreRepairOptions(), Ct);

        Assert.Equal("Qdrant collection 'kb' at http://qdrant.test:6334", report.Store);
        var superseded = Assert.Single(report.Findings, f => f.Check == "superseded-chunks");
        var interrupted = Assert.Single(report.Findings, f => f.Check == "interrupted-writes");
        Assert.Equal((1, 1), (superseded.Found, superseded.Repaired));
        Assert.Equal((2, 2), (interrupted.Found, interrupted.Repaired)); // a.md's newer write and gone.md
        Assert.Contains("1 chunk points", Assert.Single(report.Notes));   // fresh.md: may still be running
        Assert.False(report.NeedsAttention);
        Assert.Equal(3, invoker.Requests<DeletePoints>(DeleteCall).Count());
    }

    [Fact]
    public async Task A_dry_run_reads_the_same_points_and_deletes_nothing()
    {
        var (store, invoker) = NewStore();
        ScriptDamagedStore(invoker);

        var report = await ((IRepairableStore)store).RepairAsync(new StoreRepairOptions { DryRun = true }, Ct);

        Assert.True(report.DryRun);
        Assert.Equal(3, report.Found);
        Assert.Equal(0, report.Repaired);
        Assert.Empty(invoker.Requests<DeletePoints>(DeleteCall));
        Assert.Equal(2, invoker.Requests<ScrollPoints>(ScrollCall).Count());
    }

    [Fact]
    public async Task A_record_touch_overwrites_only_an_existing_record_of_its_generation_and_never_upserts()
    {
        var (store, invoker) = NewStore();
        invoker.Then(GetCollectionCall, ChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .Then(GetCollectionCall, DocumentCollection());
        await store.InitializeAsync(Dimensions, Model, Ct);
        var stored = Document("a.md") with { FileFingerprint = "old/settings", SourceName = "docs" };
        invoker.Always(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(stored, Generation))).Always(TouchCall, Completed());

        var result = await store.UpsertDocumentAsync(stored with { FileFingerprint = "new/settings" }, [], Ct);

        Assert.Equal(DocumentWriteResult.Unchanged, result);
        Assert.Empty(invoker.Requests<UpsertPoints>(UpsertCall)); // an upsert would re-insert a record deleted meanwhile
        var touch = Assert.Single(invoker.Requests<SetPayloadPoints>(TouchCall));
        Assert.Equal("kb_documents", touch.CollectionName);
        Assert.Equal("new/settings", touch.Payload["file_fingerprint"].StringValue);
        Assert.Equal(Generation, touch.Payload["generation"].IntegerValue);
        var filter = touch.PointsSelector.Filter;
        Assert.Equal(QdrantPointIds.ForDocument("a.md"), Assert.Single(Assert.Single(filter.Must).HasId.HasId));
        Assert.Equal((double)Generation, Assert.Single(filter.MustNot).Field.Range.Gt);
        Assert.True(touch.Wait);
    }

    [Fact]
    public void The_fields_the_write_path_relies_on_have_the_server_protos_field_numbers()
    {
        // qdrant/qdrant lib/api/src/grpc/proto/points.proto (1.16+; copied in qdrant/rust-client
        // proto/points.proto): UpsertPoints.update_filter = 6, timeout = 7. The recording invoker
        // round-trips every request through its wire bytes, so the request tests read what the
        // client serialises; this pins the numbers a 1.16 server decodes.
        Assert.Equal(6, UpsertPoints.Descriptor.FindFieldByName("update_filter").FieldNumber);
        Assert.Equal(7, UpsertPoints.Descriptor.FindFieldByName("timeout").FieldNumber);
        Assert.Equal(6, DeletePoints.Descriptor.FindFieldByName("timeout").FieldNumber);
        Assert.NotNull(CreateCollection.Descriptor.FindFieldByName("metadata"));
        Assert.NotNull(CollectionConfig.Descriptor.FindFieldByName("metadata"));
        Assert.NotNull(Rrf.Descriptor.FindFieldByName("k"));
    }
}

using Grpc.Core;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Qdrant.Client.Grpc;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantMethods;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// How the Qdrant store writes and reads what keeps folders in step, checked on the requests it
/// sends (no server needed; the live behaviour is in the conformance tests under QDRANT_URL).
/// </summary>
public sealed class QdrantSyncMappingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Sources_and_failures_round_trip_through_points_of_the_documents_collection()
    {
        var source = new SourceBinding("docs", SourceKind.Folder, "/data/docs") { BoundAt = new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.FromHours(1)) };
        var point = QdrantSyncPoints.ToPoint(source);
        Assert.Equal("source", point.Payload["kind"].StringValue);
        Assert.Equal(source, QdrantSyncPoints.ToSource(point.Id, point.Payload));
        Assert.Equal(point.Id, QdrantSyncPoints.SourceId("docs"));
        Assert.NotEqual(QdrantSyncPoints.SourceId("docs"), QdrantSyncPoints.FailureId("docs"));

        var upload = new SourceBinding("upload", SourceKind.Upload, null);
        Assert.Equal(upload, QdrantSyncPoints.ToSource(QdrantSyncPoints.ToPoint(upload).Id, QdrantSyncPoints.ToPoint(upload).Payload));

        var failure = new IngestFailure("docs/a.pdf", "docs", "/data/docs/a.pdf", "abc", "encrypted PDF") { FailedAt = DateTimeOffset.UnixEpoch };
        var failurePoint = QdrantSyncPoints.ToPoint(failure);
        Assert.Equal(failure, QdrantSyncPoints.ToFailure(failurePoint.Id, failurePoint.Payload));
        Assert.Equal("docs", Assert.Single(QdrantSyncPoints.Failures("docs").Must, c => c.Field?.Key == "source_name").Field.Match.Keyword);
        Assert.Contains(QdrantSyncPoints.Failures(null).Must, c => c.IsEmpty?.Key == "source_name");
    }

    [Fact]
    public void Chunk_points_carry_their_text_hash_and_records_the_sync_fields()
    {
        var document = Document() with { SourceName = "docs", FileFingerprint = "f/s" };
        var chunk = MakeChunk(document.Id, 0, "some text");

        var point = QdrantChunkPoints.ToPoint(document, chunk, Generation);
        var record = QdrantDocumentPoints.ToPoint(document, Generation);

        Assert.Equal(ChunkTextHash.Compute("some text"), point.Payload["text_hash"].StringValue);
        Assert.False(point.Payload.ContainsKey("file_fingerprint"));
        var read = QdrantDocumentPoints.ToDocument(record.Id, record.Payload);
        Assert.Equal(("docs", "f/s"), (read.SourceName, read.FileFingerprint));
    }

    [Fact]
    public async Task Vectors_are_looked_up_by_a_keyword_filter_on_the_text_hash_with_only_the_dense_vector()
    {
        var invoker = new RecordingCallInvoker().Always(HealthCheckCall, Healthy());
        await using var store = new QdrantKnowledgeStore(new QdrantStoreOptions { Url = "http://qdrant.test:6334", Collection = "kb" }, new QdrantGrpcClient(invoker));
        var document = Document();
        var stored = MakeChunk(document.Id, 0, "known text");
        invoker.Then(ScrollCall, new ScrollResponse { Result = { Retrieved(QdrantChunkPoints.ToPoint(document, stored, Generation)) } });

        var found = await store.FindVectorsAsync([ChunkTextHash.Compute("known text"), ChunkTextHash.Compute("unknown text")], Ct);

        Assert.Equal(stored.Vector.ToArray(), Assert.Single(found).Value.ToArray());
        var request = Assert.Single(invoker.Requests<ScrollPoints>(ScrollCall));
        Assert.Equal("kb", request.CollectionName);
        var condition = Assert.Single(request.Filter.Must).Field;
        Assert.Equal("text_hash", condition.Key);
        Assert.Equal(2, condition.Match.Keywords.Strings.Count);
        Assert.Equal(["dense"], request.WithVectors.Include.Names);
        Assert.Equal(["text_hash"], request.WithPayload.Include.Fields);
    }

    [Fact]
    public async Task A_write_of_an_unchanged_document_sends_no_chunk_points()
    {
        var invoker = new RecordingCallInvoker().Always(HealthCheckCall, Healthy());
        await using var store = new QdrantKnowledgeStore(new QdrantStoreOptions { Url = "http://qdrant.test:6334", Collection = "kb" }, new QdrantGrpcClient(invoker));
        invoker.Then(GetCollectionCall, ChunkCollection(Dimensions, "document_id", "tags", "tenant", "text_hash"))
            .Then(GetCollectionCall, DocumentCollection());
        await store.InitializeAsync(Dimensions, Model, Ct);
        var document = Document() with { ChunkCount = 1 };
        invoker.Always(GetPointsCall, Points(QdrantDocumentPoints.ToPoint(document, Generation))).Always(UpsertCall, Completed());

        var result = await store.UpsertDocumentAsync(document, Chunks(document.Id, 1), Ct);

        Assert.Equal(DocumentWriteResult.Unchanged, result);
        Assert.Empty(invoker.Requests<UpsertPoints>(UpsertCall));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using Qdrant.Client.Grpc;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;
using QdrantSparse = Qdrant.Client.Grpc.SparseVector;
using SparseVector = KnowledgeQa.Retrieval.Lexical.SparseVector;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>The pure mapping between kqa's store model and Qdrant's messages; no server involved.</summary>
public sealed class QdrantMappingTests
{
    [Fact]
    public void An_empty_filter_maps_to_no_qdrant_filter()
    {
        Assert.Null(QdrantFilters.From(SearchFilter.None));
    }

    [Fact]
    public void Each_part_of_a_filter_becomes_a_must_condition_with_any_of_semantics()
    {
        var filter = QdrantFilters.From(new SearchFilter { DocumentIds = ["a.md", "b.md", "a.md"], Tags = ["hr", "legal"], Tenant = "acme" })!;

        Assert.Equal(3, filter.Must.Count);
        Assert.Empty(filter.Should);
        Assert.Empty(filter.MustNot);
        var byKey = filter.Must.ToDictionary(c => c.Field.Key, c => c.Field.Match);
        Assert.Equal(["a.md", "b.md"], byKey["document_id"].Keywords.Strings);
        Assert.Equal(["hr", "legal"], byKey["tags"].Keywords.Strings);
        Assert.Equal("acme", byKey["tenant"].Keyword);
    }

    [Fact]
    public void A_tenant_only_filter_has_a_single_condition()
    {
        var filter = QdrantFilters.From(new SearchFilter { Tenant = "acme" })!;

        var condition = Assert.Single(filter.Must);
        Assert.Equal("tenant", condition.Field.Key);
    }

    [Fact]
    public void The_superseded_chunk_filter_selects_older_generations_and_points_without_one_never_newer_ones()
    {
        var filter = QdrantFilters.ChunksBefore("a.md", Generation);

        Assert.Equal("a.md", Assert.Single(filter.Must).Field.Match.Keyword);
        // must_not (generation >= G): a point without the field (layout 1) matches too.
        var range = Assert.Single(filter.MustNot).Field;
        Assert.Equal("generation", range.Key);
        Assert.Equal(Generation, range.Range.Gte);
        Assert.False(range.Range.HasLt);
    }

    [Fact]
    public void The_record_update_filters_never_let_an_older_write_replace_a_newer_record()
    {
        var commit = Assert.Single(QdrantFilters.RecordOlderThan(Generation).MustNot).Field;
        Assert.Equal(("generation", (double)Generation), (commit.Key, commit.Range.Gte));
        var touch = QdrantFilters.RecordStillAt("guide.md", Generation);
        Assert.Equal(("generation", (double)Generation), (Assert.Single(touch.MustNot).Field.Key, touch.MustNot[0].Field.Range.Gt));
        Assert.Equal(QdrantPointIds.ForDocument("guide.md"), Assert.Single(Assert.Single(touch.Must).HasId.HasId));
        // Generations are sent as doubles: exact below 2^53.
        Assert.Equal(Generation, (long)(double)Generation);
        Assert.True(QdrantGenerations.Next() < (1L << 53));
    }

    [Fact]
    public void Generations_increase_and_chunk_point_ids_differ_per_generation_but_not_per_retry()
    {
        var first = QdrantGenerations.Next();
        var second = QdrantGenerations.Next();
        Assert.True(second > first);
        Assert.True(first >= QdrantGenerations.Of(DateTimeOffset.UtcNow.AddMinutes(-1)));

        var chunk = Chunks("a.md", 1)[0].Chunk.Id;
        Assert.Equal(QdrantPointIds.ForChunk(chunk, first), QdrantPointIds.ForChunk(chunk, first));
        Assert.NotEqual(QdrantPointIds.ForChunk(chunk, first), QdrantPointIds.ForChunk(chunk, second));
    }

    [Fact]
    public void A_chunk_point_carries_the_chunk_and_its_document_in_the_payload()
    {
        var document = Document(tenant: "acme", tags: ["hr", "policy"]);
        var indexed = MakeChunk(document.Id, 2, "Les congés payés — 年假政策 ✓");

        var point = QdrantChunkPoints.ToPoint(document, indexed, Generation);

        Assert.Equal(QdrantPointIds.ForChunk(indexed.Chunk.Id, Generation), point.Id);
        var p = point.Payload;
        Assert.Equal(Generation, p["generation"].IntegerValue);
        Assert.Equal(document.Id, p["document_id"].StringValue);
        Assert.Equal(indexed.Chunk.Id, p["chunk_id"].StringValue);
        Assert.Equal(2, p["index"].IntegerValue);
        Assert.Equal("Les congés payés — 年假政策 ✓", p["text"].StringValue);
        Assert.Equal(200, p["start"].IntegerValue);
        Assert.Equal(200 + indexed.Chunk.Text.Length, p["end"].IntegerValue);
        Assert.Equal(["Intro", "Details"], p["headings"].ListValue.Values.Select(v => v.StringValue));
        Assert.Equal(3, p["page"].IntegerValue);
        Assert.Equal(9, p["token_count"].IntegerValue);
        Assert.Equal(document.Source, p["source"].StringValue);
        Assert.Equal(document.Title, p["title"].StringValue);
        Assert.Equal(["hr", "policy"], p["tags"].ListValue.Values.Select(v => v.StringValue));
        Assert.Equal("acme", p["tenant"].StringValue);
        Assert.Equal(document.ContentHash, p["content_hash"].StringValue);

        var vectors = point.Vectors.Vectors_.Vectors;
        Assert.Equal(indexed.Vector.ToArray(), vectors["dense"].Dense.Data);
        Assert.Equal(indexed.Sparse.Indices, vectors["lexical"].Sparse.Indices);
        Assert.Equal(indexed.Sparse.Values, vectors["lexical"].Sparse.Values);
    }

    [Fact]
    public void Absent_optional_fields_are_left_out_of_the_payload()
    {
        var document = Document() with { Title = null };
        var indexed = MakeChunk(document.Id, 1, "odd index has no page");

        var point = QdrantChunkPoints.ToPoint(document, indexed, Generation);

        Assert.False(point.Payload.ContainsKey("page"));
        Assert.False(point.Payload.ContainsKey("title"));
        Assert.False(point.Payload.ContainsKey("tenant"));
    }

    [Fact]
    public void A_chunk_without_lexical_terms_gets_no_sparse_vector()
    {
        var document = Document();
        var indexed = MakeChunk(document.Id, 0, "…") with { Sparse = SparseVector.Empty };

        var point = QdrantChunkPoints.ToPoint(document, indexed, Generation);

        Assert.False(point.Vectors.Vectors_.Vectors.ContainsKey("lexical"));
        var back = QdrantChunkPoints.ToIndexedChunk(Retrieved(point));
        Assert.Equal(0, back.Sparse.Count);
    }

    [Fact]
    public void A_chunk_point_reads_back_as_the_same_indexed_chunk()
    {
        var document = Document(tags: ["x"]);
        var indexed = MakeChunk(document.Id, 4, "Ünïcödé 😀 and Chinese 密码 text");

        var back = QdrantChunkPoints.ToIndexedChunk(Retrieved(QdrantChunkPoints.ToPoint(document, indexed, Generation)));

        Assert.Equal(indexed.Chunk with { Headings = [] }, back.Chunk with { Headings = [] });
        Assert.Equal(indexed.Chunk.Headings, back.Chunk.Headings);
        Assert.Equal(indexed.Vector.ToArray(), back.Vector.ToArray());
        Assert.Equal(indexed.Sparse.Indices, back.Sparse.Indices);
        Assert.Equal(indexed.Sparse.Values, back.Sparse.Values);
    }

    [Fact]
    public void A_point_without_the_dense_vector_is_reported_as_not_written_by_kqa()
    {
        var document = Document();
        var point = QdrantChunkPoints.ToPoint(document, MakeChunk(document.Id, 0, "text"), Generation);
        point.Vectors.Vectors_.Vectors.Remove("dense");

        var error = Assert.Throws<KnowledgeStoreException>(() => QdrantChunkPoints.ToIndexedChunk(Retrieved(point)));

        Assert.Contains("'dense'", error.Message);
    }

    [Fact]
    public void A_point_missing_a_required_payload_field_names_the_field()
    {
        var document = Document();
        var point = QdrantChunkPoints.ToPoint(document, MakeChunk(document.Id, 0, "text"), Generation);
        point.Payload.Remove("text");

        var error = Assert.Throws<KnowledgeStoreException>(() => QdrantChunkPoints.ToIndexedChunk(Retrieved(point)));

        Assert.Contains("'text'", error.Message);
        Assert.Contains("--collection", error.Message);
    }

    [Fact]
    public void Whole_numbers_written_as_doubles_by_other_clients_are_read_as_integers()
    {
        var document = Document();
        var point = QdrantChunkPoints.ToPoint(document, MakeChunk(document.Id, 3, "text"), Generation);
        point.Payload["index"] = new Value { DoubleValue = 3.0 };

        Assert.Equal(3, QdrantChunkPoints.ToIndexedChunk(Retrieved(point)).Chunk.Index);
    }

    [Fact]
    public void Sparse_vectors_keep_their_index_value_pairs_and_come_back_sorted_by_index()
    {
        var qdrant = QdrantSparseVectors.ToQdrant(new SparseVector([2u, 7u, 40u], [0.5f, 1.5f, 2.5f]));
        Assert.Equal([2u, 7u, 40u], qdrant.Indices);
        Assert.Equal([0.5f, 1.5f, 2.5f], qdrant.Values);

        var unsorted = new QdrantSparse { Indices = { 40u, 2u, 7u }, Values = { 2.5f, 0.5f, 1.5f } };
        var back = QdrantSparseVectors.FromQdrant(unsorted);
        Assert.Equal([2u, 7u, 40u], back.Indices);
        Assert.Equal([0.5f, 1.5f, 2.5f], back.Values);
    }

    [Fact]
    public void A_sparse_vector_with_mismatched_lengths_is_refused()
    {
        Assert.Throws<ArgumentException>(() => QdrantSparseVectors.ToQdrant(new SparseVector([1u, 2u], [1f])));
    }

    [Fact]
    public void A_document_record_reads_back_unchanged()
    {
        var document = Document(tenant: "acme", tags: ["a", "b"]) with { ChunkCount = 17 };

        var point = QdrantDocumentPoints.ToPoint(document, Generation);
        var back = QdrantDocumentPoints.ToDocument(point.Id, point.Payload);

        Assert.Equal(document with { Tags = [] }, back with { Tags = [] });
        Assert.Equal(document.Tags, back.Tags);
        Assert.Equal(document.IngestedAt.Offset, back.IngestedAt.Offset);
        Assert.Equal("document", point.Payload["kind"].StringValue);
        Assert.Equal([1f], point.Vectors.Vector.Dense.Data);
    }

    [Fact]
    public void Document_point_ids_are_deterministic_and_distinct_per_document()
    {
        Assert.Equal(QdrantPointIds.ForDocument("a.md"), QdrantPointIds.ForDocument("a.md"));
        Assert.NotEqual(QdrantPointIds.ForDocument("a.md"), QdrantPointIds.ForDocument("b.md"));
        Assert.NotEqual(QdrantPointIds.Of(QdrantPointIds.Metadata), QdrantPointIds.ForDocument(""));
        Assert.True(Guid.TryParse(QdrantPointIds.ForDocument("a.md").Uuid, out _));
    }

    [Fact]
    public void A_chunk_id_that_is_not_a_uuid_is_refused()
    {
        Assert.Throws<ArgumentException>(() => QdrantPointIds.ForChunk("chunk-1", Generation));
    }

    [Fact]
    public void The_metadata_point_reads_back()
    {
        var point = QdrantDocumentPoints.ToPoint(new QdrantStoreMetadata("all-MiniLM-L6-v2", 384, 1));

        Assert.Equal(Guid.Empty.ToString("D"), point.Id.Uuid);
        Assert.Equal(new QdrantStoreMetadata("all-MiniLM-L6-v2", 384, 1), QdrantDocumentPoints.ToMetadata(point.Payload));
    }

    [Fact]
    public void A_scored_point_maps_to_a_search_hit_with_the_mode_score()
    {
        var document = Document(tags: ["t"]);
        var point = QdrantChunkPoints.ToPoint(document, MakeChunk(document.Id, 1, "hello"), Generation);

        var lexical = QdrantSearchHits.ToHit(point.Id, point.Payload, 4.5, denseScore: null, lexicalScore: 4.5);

        Assert.Equal("hello", lexical.Chunk.Text);
        Assert.Equal(document.Source, lexical.Source);
        Assert.Equal(document.Title, lexical.Title);
        Assert.Equal(["t"], lexical.Tags);
        Assert.Equal(4.5, lexical.Score, 5);
        Assert.Equal(4.5, lexical.LexicalScore!.Value, 5);
        Assert.Null(lexical.DenseScore);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, true)]
    [InlineData(StatusCode.DeadlineExceeded, true)]
    [InlineData(StatusCode.ResourceExhausted, true)]
    [InlineData(StatusCode.Aborted, true)]
    [InlineData(StatusCode.InvalidArgument, false)]
    [InlineData(StatusCode.NotFound, false)]
    [InlineData(StatusCode.Unauthenticated, false)]
    [InlineData(StatusCode.PermissionDenied, false)]
    [InlineData(StatusCode.Internal, false)]
    [InlineData(StatusCode.Cancelled, false)]
    public void Transient_grpc_statuses_are_the_retryable_ones(StatusCode code, bool transient)
    {
        Assert.Equal(transient, QdrantErrors.IsTransient(new RpcException(new Status(code, "x"))));
    }

    [Fact]
    public void Other_exceptions_are_not_retried_but_unapplied_writes_are()
    {
        Assert.False(QdrantErrors.IsTransient(new InvalidOperationException()));
        Assert.True(QdrantErrors.IsTransient(new QdrantWriteNotAppliedException("status WaitTimeout")));
    }

    [Theory]
    [InlineData("http://localhost:6334", "http://localhost:6334", false)]
    [InlineData("localhost", "http://localhost:6334", false)]
    [InlineData("localhost:7000", "http://localhost:7000", false)]
    [InlineData("https://xyz.cloud.qdrant.io", "https://xyz.cloud.qdrant.io:6334", true)]
    [InlineData("https://xyz.cloud.qdrant.io:443", "https://xyz.cloud.qdrant.io", true)]
    [InlineData("http://10.0.0.5:80/", "http://10.0.0.5", false)]
    [InlineData("http://[::1]", "http://[::1]:6334", false)]
    [InlineData(" http://qdrant:6334/ ", "http://qdrant:6334", false)]
    public void Endpoints_default_to_http_and_the_grpc_port(string url, string expected, bool tls)
    {
        var endpoint = QdrantEndpoint.Parse(url);

        Assert.Equal(expected, endpoint.ToString());
        Assert.Equal(tls, endpoint.UsesTls);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://host:6334")]
    [InlineData("http://")]
    public void Unusable_urls_are_refused_naming_the_option(string url)
    {
        var error = Assert.Throws<InvalidOptionException>(() => QdrantEndpoint.Parse(url));

        Assert.Contains("Store:Qdrant:Url", error.Message);
    }

    [Fact]
    public void The_rest_port_gets_a_hint()
    {
        Assert.Contains("6334", QdrantEndpoint.Parse("http://localhost:6333").PortHint);
        Assert.Null(QdrantEndpoint.Parse("http://localhost:6334").PortHint);
    }

    [Theory]
    [InlineData("1.16.0", true)]
    [InlineData("1.17.2", true)]
    [InlineData("v1.20.0-dev", true)]
    [InlineData("2.0.0", true)]
    [InlineData("", true)]
    [InlineData("unknown", true)]
    [InlineData("1.15.9", false)]
    [InlineData("1.9.0", false)]
    public void Servers_older_than_the_minimum_are_refused(string version, bool supported)
    {
        var endpoint = QdrantEndpoint.Parse("localhost");

        var error = Record.Exception(() => QdrantServerVersion.EnsureSupported(version, endpoint));

        Assert.Equal(supported, error is null);
    }

    [Fact]
    public void Options_validation_names_the_option_at_fault()
    {
        Assert.Contains("Store:Qdrant:UpsertBatchSize", Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { UpsertBatchSize = 0 }.Validate()).Message);
        Assert.Contains("Store:Qdrant:Collection", Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { Collection = "a/b" }.Validate()).Message);
        Assert.Contains("Store:Qdrant:ShardNumber", Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { ShardNumber = 0 }.Validate()).Message);
        Assert.Contains(
            "Store:Qdrant:WriteConsistencyFactor",
            Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { ReplicationFactor = 2, WriteConsistencyFactor = 3 }.Validate()).Message);
        Assert.Contains("Store:Qdrant:ConnectTimeout", Assert.Throws<InvalidOptionException>(() => new QdrantStoreOptions { ConnectTimeout = TimeSpan.Zero }.Validate()).Message);
        new QdrantStoreOptions().Validate();
    }

    [Fact]
    public void Collections_are_created_with_qdrant_defaults_when_no_distribution_option_is_set()
    {
        var request = QdrantSchema.ChunkCollection(new QdrantStoreOptions(), new QdrantStoreMetadata("m", 384, QdrantSchema.LayoutVersion));

        Assert.False(request.HasShardNumber);
        Assert.False(request.HasReplicationFactor);
        Assert.False(request.HasWriteConsistencyFactor);
        Assert.Null(request.QuantizationConfig);
        Assert.False(request.VectorsConfig.ParamsMap.Map["dense"].HasMemory);
    }

    [Fact]
    public void A_certificate_matches_its_sha256_or_sha1_thumbprint_in_any_spelling()
    {
        using var key = ECDsa.Create();
        var request = new CertificateRequest("CN=qdrant.test", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var sha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var withColons = string.Join(':', sha256.Chunk(2).Select(c => new string(c))).ToLowerInvariant();

        Assert.True(QdrantChannelFactory.MatchesThumbprint(certificate, sha256));
        Assert.True(QdrantChannelFactory.MatchesThumbprint(certificate, withColons));
        Assert.True(QdrantChannelFactory.MatchesThumbprint(certificate, certificate.Thumbprint));
        Assert.False(QdrantChannelFactory.MatchesThumbprint(certificate, new string('A', 64)));
    }

    [Fact]
    public void A_failure_message_names_endpoint_collection_operation_and_cause()
    {
        var error = QdrantErrors.Failure(
            QdrantEndpoint.Parse("https://q.example:6334"),
            "kb",
            "hybrid search",
            new RpcException(new Status(StatusCode.PermissionDenied, "Invalid api-key")),
            attempts: 1);

        Assert.Equal(
            "Qdrant at https://q.example:6334, collection 'kb': hybrid search failed: PermissionDenied, Invalid api-key. "
            + "Qdrant refused the API key (it was missing, wrong, or read-only for a write): set a valid key with --qdrant-api-key (or KQA__Store__Qdrant__ApiKey).",
            error.Message);
    }
}

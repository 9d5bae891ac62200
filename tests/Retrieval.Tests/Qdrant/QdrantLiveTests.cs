using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Migration;
using KnowledgeQa.Retrieval.Storage.Qdrant;
using KnowledgeQa.Retrieval.Tests.Storage;
using Qdrant.Client.Grpc;
using static KnowledgeQa.Retrieval.Tests.Qdrant.QdrantAnswers;
using SparseVector = KnowledgeQa.Retrieval.Lexical.SparseVector;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// Qdrant-specific behaviour against a real server (QDRANT_URL); the store-independent contract is
/// the conformance suite's. Each test uses its own collection and deletes it afterwards.
/// </summary>
public sealed class QdrantLiveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task WithStoreAsync(Func<QdrantKnowledgeStore, QdrantStoreOptions, Task> test, Action<QdrantStoreOptions>? configure = null)
    {
        QdrantTestServer.SkipUnlessConfigured();
        var options = QdrantTestServer.FreshCollection();
        configure?.Invoke(options);
        await using var store = new QdrantKnowledgeStore(options);
        try
        {
            await test(store, options);
        }
        finally
        {
            await store.DeleteCollectionsAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_collections_are_created_with_named_vectors_the_idf_modifier_and_payload_indexes() =>
        await WithStoreAsync(async (store, options) =>
        {
            await store.InitializeAsync(Dimensions, Model, Ct);

            using var channel = QdrantChannel.ForAddress(store.Endpoint.Address, new global::Qdrant.Client.ClientConfiguration { ApiKey = options.ApiKey });
            var collections = new QdrantGrpcClient(channel).Collections;
            var info = (await collections.GetAsync(new GetCollectionInfoRequest { CollectionName = options.Collection }, cancellationToken: Ct)).Result;
            var dense = info.Config.Params.VectorsConfig.ParamsMap.Map["dense"];
            Assert.Equal((ulong)Dimensions, dense.Size);
            Assert.Equal(Distance.Cosine, dense.Distance);
            Assert.Equal(Modifier.Idf, info.Config.Params.SparseVectorsConfig.Map["lexical"].Modifier);
            Assert.Equal(["document_id", "tags", "tenant", "text_hash"], info.PayloadSchema.Keys.Order());
            Assert.Equal(Model, info.Config.Metadata["embedding_model"].StringValue);
            Assert.NotNull(info.Config.QuantizationConfig?.Scalar);
            Assert.Equal(new StoreStatistics(0, 0, Dimensions, Model), await store.GetStatisticsAsync(Ct));
        }, o => o.ScalarQuantization = true);

    [Fact]
    public async Task Reopening_with_a_model_of_another_vector_size_is_refused() =>
        await WithStoreAsync(async (store, options) =>
        {
            await store.InitializeAsync(Dimensions, Model, Ct);
            await using var other = new QdrantKnowledgeStore(options);

            var error = await Assert.ThrowsAsync<KnowledgeStoreException>(() => other.InitializeAsync(Dimensions + 2, "bigger-model", Ct));

            Assert.Contains($"{Dimensions}-dimensional", error.Message);
            Assert.Contains($"{Dimensions + 2}-dimensional", error.Message);
        });

    [Fact]
    public async Task A_large_document_is_written_in_batches_and_shrinking_it_removes_the_stale_chunks() =>
        await WithStoreAsync(async (store, _) =>
        {
            await store.InitializeAsync(Dimensions, Model, Ct);
            var document = Document("big.md");

            await store.UpsertDocumentAsync(document, Chunks(document.Id, 600), Ct);
            Assert.Equal(new StoreStatistics(1, 600, Dimensions, Model), await store.GetStatisticsAsync(Ct));

            await store.UpsertDocumentAsync(document with { ContentHash = "shorter" }, Chunks(document.Id, 10), Ct);
            Assert.Equal(new StoreStatistics(1, 10, Dimensions, Model), await store.GetStatisticsAsync(Ct));
            var read = await store.ReadChunksAsync(document.Id, Ct).ToListAsync(Ct);
            Assert.Equal(Enumerable.Range(0, 10), read.Select(c => c.Chunk.Index));
            Assert.Equal("shorter", (await store.GetDocumentAsync(document.Id, Ct))!.ContentHash);
        }, o => o.UpsertBatchSize = 256);

    [Fact]
    public async Task Hybrid_search_reports_qdrants_fused_score_and_both_raw_scores() =>
        await WithStoreAsync(async (store, _) =>
        {
            await store.InitializeAsync(Dimensions, Model, Ct);
            var document = Document("a.md", tenant: "acme", tags: ["manual"]);
            var chunks = Chunks(document.Id, 5);
            await store.UpsertDocumentAsync(document, chunks, Ct);

            var hits = await store.SearchAsync(
                new StoreQuery { Vector = chunks[2].Vector, Sparse = new SparseVector([12u], [1f]), Top = 3, Filter = new SearchFilter { Tenant = "acme" } },
                Ct);

            Assert.Equal(chunks[2].Chunk.Id, hits[0].Chunk.Id); // first on both sides
            Assert.Equal(1.0, hits[0].DenseScore!.Value, 4);
            Assert.True(hits[0].LexicalScore > 0);
            Assert.Equal(2.0 / 61, hits[0].Score, 4);
            Assert.All(hits.Skip(1), h => Assert.Null(h.LexicalScore));
            Assert.Empty(await store.SearchAsync(
                new StoreQuery { Vector = chunks[2].Vector, Filter = new SearchFilter { Tenant = "other" } }, Ct));
        });

    [Fact]
    public async Task Vectors_read_back_are_the_unit_length_vectors_qdrant_keeps_for_cosine() =>
        await WithStoreAsync(async (store, _) =>
        {
            await store.InitializeAsync(Dimensions, Model, Ct);
            var document = Document("a.md");
            var chunk = Chunks(document.Id, 1)[0];
            await store.UpsertDocumentAsync(document, [chunk], Ct);

            var read = Assert.Single(await store.ReadChunksAsync(document.Id, Ct).ToListAsync(Ct));

            var original = chunk.Vector.ToArray();
            var norm = Math.Sqrt(original.Sum(v => v * v));
            Assert.Equal(original.Select(v => v / norm), read.Vector.ToArray().Select(v => (double)v), new ToleranceComparer(1e-5));
            Assert.Equal(chunk.Sparse.Indices, read.Sparse.Indices);
        });

    [Fact]
    public async Task An_embedded_knowledge_base_moves_into_qdrant_without_re_embedding_and_resumes() =>
        await WithStoreAsync(async (qdrant, _) =>
        {
            using var folder = new TempFolder();
            await using var embedded = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = folder.File("kb.db") });
            await embedded.InitializeAsync(Dimensions, Model, Ct);
            foreach (var id in new[] { "a.md", "b.md", "c.md" })
            {
                await embedded.UpsertDocumentAsync(Document(id, tags: ["t"]), Chunks(id, 300), Ct);
            }

            var migrator = new KnowledgeBaseMigrator(embedded, qdrant);
            var first = await migrator.MigrateAsync(cancellationToken: Ct);
            var second = await migrator.MigrateAsync(cancellationToken: Ct);

            Assert.True(first.CountsMatch, first.Summary);
            Assert.Equal(new StoreStatistics(3, 900, Dimensions, Model), first.Target);
            Assert.Equal((0, 3, 900), (second.DocumentsCopied, second.DocumentsSkipped, second.ChunksSkipped));
            // Every document has the same vectors at the same index, so restrict to one document.
            var query = new StoreQuery
            {
                Vector = Chunks("b.md", 300)[7].Vector,
                Mode = SearchMode.Dense,
                Top = 1,
                Filter = new SearchFilter { DocumentIds = ["b.md"] },
            };
            Assert.Equal(
                (await embedded.SearchAsync(query, Ct)).Select(h => h.Chunk.Id),
                (await qdrant.SearchAsync(query, Ct)).Select(h => h.Chunk.Id));
        });

    [Fact]
    public async Task An_interrupted_write_stays_invisible_and_the_repair_removes_what_it_left() =>
        await WithStoreAsync(async (store, options) =>
        {
            await store.InitializeAsync(Dimensions, Model, Ct);
            var document = Document("a.md");
            var committed = Chunks(document.Id, 3);
            await store.UpsertDocumentAsync(document, committed, Ct);

            // What a crash leaves: chunk points of a newer write of a.md, and of a new document, without their records.
            using var channel = QdrantChannel.ForAddress(store.Endpoint.Address, new global::Qdrant.Client.ClientConfiguration { ApiKey = options.ApiKey });
            var points = new QdrantGrpcClient(channel).Points;
            var crashed = QdrantGenerations.Of(DateTimeOffset.UtcNow.AddHours(-2));
            var upsert = new UpsertPoints { CollectionName = options.Collection, Wait = true };
            upsert.Points.Add(Chunks(document.Id, 5).Select(c => QdrantChunkPoints.ToPoint(document with { ContentHash = "v2" }, c, crashed + 1_000_000_000)));
            upsert.Points.Add(Chunks("new.md", 2).Select(c => QdrantChunkPoints.ToPoint(Document("new.md"), c, crashed)));
            await points.UpsertAsync(upsert, cancellationToken: Ct);

            foreach (var mode in Enum.GetValues<SearchMode>())
            {
                var hits = await store.SearchAsync(new StoreQuery { Mode = mode, Vector = committed[0].Vector, Sparse = committed[0].Sparse, Top = 20 }, Ct);
                Assert.Equal(committed.Select(c => c.Chunk.Id).Order(), hits.Select(h => h.Chunk.Id).Order());
            }

            Assert.Equal(3, (await store.ReadChunksAsync(document.Id, Ct).ToListAsync(Ct)).Count);
            Assert.Equal(10, (await store.GetStatisticsAsync(Ct)).Chunks); // counts include the leftovers until repaired

            var report = await store.RepairAsync(TimeSpan.FromHours(1), cancellationToken: Ct);

            Assert.Equal(7, report.PointsRemoved);
            Assert.Equal(new StoreStatistics(1, 3, Dimensions, Model), await store.GetStatisticsAsync(Ct));
        });

    [Fact]
    public async Task A_mistyped_collection_is_reported_with_the_collections_that_exist() =>
        await WithStoreAsync(async (store, options) =>
        {
            await store.InitializeAsync(Dimensions, Model, Ct);
            var typo = QdrantTestServer.FreshCollection();
            typo.Collection = options.Collection + "_typo";
            await using var mistyped = new QdrantKnowledgeStore(typo);

            var error = await Assert.ThrowsAsync<QdrantCollectionNotFoundException>(
                () => mistyped.SearchAsync(new StoreQuery { Vector = new float[] { 1, 0, 0, 0 } }, Ct));

            Assert.Contains(typo.Collection, error.Message);
            Assert.Contains(options.Collection, error.Message.Replace(typo.Collection, "", StringComparison.Ordinal));
        });

    [Fact]
    public async Task Lexical_ranking_on_one_shard_matches_the_embedded_store_and_idf_is_measured_after_deletes() =>
        await WithStoreAsync(async (qdrant, _) =>
        {
            using var folder = new TempFolder();
            await using var embedded = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = folder.File("kb.db") });
            IKnowledgeStore[] stores = [qdrant, embedded];
            // Term 1 is in every document, term 2 in two, term 3 in one: IDF decides the order.
            (string Id, SparseVector Terms)[] documents =
            [
                ("a.md", new SparseVector([1u, 2u], [1f, 1f])),
                ("b.md", new SparseVector([1u, 3u], [1f, 1f])),
                ("c.md", new SparseVector([1u, 2u], [1f, 0.5f])),
                ("d.md", new SparseVector([1u], [2f])),
            ];
            foreach (var store in stores)
            {
                await store.InitializeAsync(Dimensions, Model, Ct);
                foreach (var (id, terms) in documents)
                {
                    await store.UpsertDocumentAsync(Document(id), [MakeChunk(id, 0, "text of " + id) with { Sparse = terms }], Ct);
                }
            }

            var query = new StoreQuery { Mode = SearchMode.Lexical, Sparse = new SparseVector([1u, 2u, 3u], [1f, 1f, 1f]), Top = 10 };
            var before = await Task.WhenAll(stores.Select(s => s.SearchAsync(query, Ct)));
            Assert.Equal(before[1].Select(h => h.Chunk.DocumentId), before[0].Select(h => h.Chunk.DocumentId));

            // Deleted points may still count in Qdrant's IDF until their segment is rebuilt: measured, not asserted.
            foreach (var store in stores)
            {
                await store.DeleteDocumentAsync("a.md", Ct);
                await store.DeleteDocumentAsync("c.md", Ct);
            }

            var after = await Task.WhenAll(stores.Select(s => s.SearchAsync(query, Ct)));
            var ratios = after[0].Zip(after[1], (q, e) => $"{q.Chunk.DocumentId}: qdrant {q.Score:F4} / embedded {e.Score:F4}");
            TestContext.Current.TestOutputHelper?.WriteLine("Lexical scores after deleting 2 of 4 documents: " + string.Join("; ", ratios));
            Assert.Equal(after[1].Select(h => h.Chunk.DocumentId), after[0].Select(h => h.Chunk.DocumentId));
        }, o => o.ShardNumber = 1);

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}

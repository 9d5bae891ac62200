using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>
/// The contract every <see cref="IKnowledgeStore"/> keeps, run against each implementation by a
/// subclass that says how to make a fresh, empty store. Vectors here are unit length and sparse
/// weights are hand-made, so expectations hold for any store that ranks by cosine and by
/// idf-weighted sparse dot products; exact score values are left to implementation tests.
/// </summary>
public abstract partial class KnowledgeStoreConformanceTests : IAsyncLifetime
{
    protected const int Dimensions = 4;
    protected const string Model = "conformance-model";

    private readonly List<IKnowledgeStore> _stores = [];

    /// <summary>A new, empty store that has not been initialised yet (the tests initialise it).</summary>
    protected abstract Task<IKnowledgeStore> CreateStoreAsync(int dimensions);

    /// <summary>Non-null to skip every test with this reason (for example: no server configured).</summary>
    protected virtual string? SkipReason => null;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
        await AfterStoresDisposedAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Cleans up what the stores used (a temp folder, a server collection), after they are disposed.</summary>
    protected virtual ValueTask AfterStoresDisposedAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Upserted_documents_can_be_read_back_and_listed()
    {
        var store = await NewStoreAsync();
        var alpha = Doc("alpha", tags: ["x", "y"], tenant: "t1");
        var beta = Doc("beta", title: null);
        await store.UpsertDocumentAsync(alpha, [Indexed("alpha", 0, "first", Unit(0)), Indexed("alpha", 1, "second", Unit(1))], Ct);
        await store.UpsertDocumentAsync(beta, [Indexed("beta", 0, "third", Unit(2))], Ct);

        var read = await store.GetDocumentAsync("alpha", Ct);
        Assert.NotNull(read);
        AssertSameDocument(alpha with { ChunkCount = 2 }, read);
        AssertSameDocument(beta with { ChunkCount = 1 }, (await store.GetDocumentAsync("beta", Ct))!);
        Assert.Null(await store.GetDocumentAsync("gamma", Ct));

        var listed = await ToListAsync(store.ListDocumentsAsync(Ct));
        Assert.Equal(["alpha", "beta"], listed.Select(d => d.Id).Order(StringComparer.Ordinal));

        var statistics = await store.GetStatisticsAsync(Ct);
        Assert.Equal(new StoreStatistics(2, 3, Dimensions, Model), statistics);
    }

    [Fact]
    public async Task Upserting_the_same_document_again_changes_nothing()
    {
        var store = await NewStoreAsync();
        IndexedChunk[] chunks = [Indexed("alpha", 0, "first", Unit(0), Terms((1, 1f))), Indexed("alpha", 1, "second", Unit(1), Terms((2, 1f)))];
        await store.UpsertDocumentAsync(Doc("alpha"), chunks, Ct);
        await store.UpsertDocumentAsync(Doc("alpha"), chunks, Ct);

        Assert.Equal(new StoreStatistics(1, 2, Dimensions, Model), await store.GetStatisticsAsync(Ct));
        var stored = await ToListAsync(store.ReadChunksAsync("alpha", Ct));
        Assert.Equal(chunks.Select(c => c.Chunk.Id), stored.Select(c => c.Chunk.Id));
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var hits = await store.SearchAsync(Query(mode, Unit(0), Terms((1, 1f), (2, 1f)), top: 10), Ct);
            Assert.Equal(2, hits.Count);
            Assert.Equal(2, hits.Select(h => h.Chunk.Id).Distinct().Count());
        }
    }

    [Fact]
    public async Task A_changed_document_replaces_exactly_its_own_chunks()
    {
        var store = await NewStoreAsync();
        IndexedChunk[] oldAlpha =
        [
            Indexed("alpha", 0, "old one", Unit(0), Terms((1, 1f))),
            Indexed("alpha", 1, "old two", Unit(1), Terms((1, 1f))),
            Indexed("alpha", 2, "old three", Unit(2), Terms((1, 1f))),
        ];
        IndexedChunk[] beta = [Indexed("beta", 0, "beta one", Unit(3), Terms((2, 1f))), Indexed("beta", 1, "beta two", Unit(0, 3), Terms((2, 1f)))];
        await store.UpsertDocumentAsync(Doc("alpha", hash: "v1"), oldAlpha, Ct);
        await store.UpsertDocumentAsync(Doc("beta"), beta, Ct);

        IndexedChunk[] newAlpha = [Indexed("alpha", 0, "new one", Unit(1), Terms((3, 1f))), Indexed("alpha", 1, "new two", Unit(2), Terms((3, 1f)))];
        await store.UpsertDocumentAsync(Doc("alpha", hash: "v2"), newAlpha, Ct);

        Assert.Equal("v2", (await store.GetDocumentAsync("alpha", Ct))!.ContentHash);
        Assert.Equal(newAlpha.Select(c => c.Chunk.Id), (await ToListAsync(store.ReadChunksAsync("alpha", Ct))).Select(c => c.Chunk.Id));
        Assert.Equal(beta.Select(c => c.Chunk.Id), (await ToListAsync(store.ReadChunksAsync("beta", Ct))).Select(c => c.Chunk.Id));
        Assert.Equal(new StoreStatistics(2, 4, Dimensions, Model), await store.GetStatisticsAsync(Ct));

        var oldIds = oldAlpha.Select(c => c.Chunk.Id).ToHashSet();
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var hits = await store.SearchAsync(Query(mode, Unit(0), Terms((1, 1f), (2, 1f), (3, 1f)), top: 10), Ct);
            Assert.DoesNotContain(hits, h => oldIds.Contains(h.Chunk.Id));
            Assert.Equal(4, hits.Count);
        }
    }

    [Fact]
    public async Task A_deleted_document_is_gone_from_every_search_mode()
    {
        var store = await NewStoreAsync();
        await store.UpsertDocumentAsync(Doc("alpha"), [Indexed("alpha", 0, "alpha", Unit(0), Terms((1, 1f))), Indexed("alpha", 1, "alpha 2", Unit(1), Terms((1, 1f)))], Ct);
        await store.UpsertDocumentAsync(Doc("beta"), [Indexed("beta", 0, "beta", Unit(0, 1), Terms((1, 1f)))], Ct);

        Assert.True(await store.DeleteDocumentAsync("alpha", Ct));

        Assert.Null(await store.GetDocumentAsync("alpha", Ct));
        Assert.Empty(await ToListAsync(store.ReadChunksAsync("alpha", Ct)));
        Assert.Equal(["beta"], (await ToListAsync(store.ListDocumentsAsync(Ct))).Select(d => d.Id));
        Assert.Equal(new StoreStatistics(1, 1, Dimensions, Model), await store.GetStatisticsAsync(Ct));
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var hits = await store.SearchAsync(Query(mode, Unit(0), Terms((1, 1f)), top: 10), Ct);
            Assert.Equal(["beta"], hits.Select(h => h.Chunk.DocumentId));
        }
        Assert.False(await store.DeleteDocumentAsync("alpha", Ct));
    }

    [Fact]
    public async Task Dense_search_ranks_by_cosine_similarity()
    {
        var store = await NewStoreWithRankingFixtureAsync();
        var hits = await store.SearchAsync(Query(SearchMode.Dense, Unit(0), SparseVector.Empty, top: 3), Ct);

        Assert.Equal(["c-east", "c-between", "c-north"], hits.Select(h => h.Chunk.Text));
        Assert.Equal(1.0, hits[0].Score, 4);
        Assert.Equal(Math.Sqrt(0.5), hits[1].Score, 4);
        Assert.Equal(0.0, hits[2].Score, 4);
        Assert.All(hits, h => Assert.Equal(h.Score, h.DenseScore));
        Assert.All(hits, h => Assert.Null(h.LexicalScore));
    }

    [Fact]
    public async Task Lexical_search_ranks_by_weighted_term_matches()
    {
        var store = await NewStoreWithRankingFixtureAsync();
        var hits = await store.SearchAsync(Query(SearchMode.Lexical, default, Terms((2, 1f)), top: 5), Ct);

        // c-east has no term 2, so only two chunks match.
        Assert.Equal(["c-north", "c-between"], hits.Select(h => h.Chunk.Text));
        Assert.True(hits[0].Score > hits[1].Score);
        Assert.True(hits[1].Score > 0);
        Assert.All(hits, h => Assert.Equal(h.Score, h.LexicalScore));
        Assert.All(hits, h => Assert.Null(h.DenseScore));
    }

    [Fact]
    public async Task Hybrid_search_prefers_chunks_both_sides_rank_well()
    {
        var store = await NewStoreWithRankingFixtureAsync();
        var hits = await store.SearchAsync(Query(SearchMode.Hybrid, Unit(0), Terms((3, 1f)), top: 3), Ct);

        // Dense ranks east, between, north, other; only c-between has term 3, so it gains a first place.
        Assert.Equal(["c-between", "c-east", "c-north"], hits.Select(h => h.Chunk.Text));
        Assert.Equal(1.0 / 61 + 1.0 / 62, hits[0].Score, 6);
        Assert.Equal(1.0 / 61, hits[1].Score, 6);
        Assert.Equal(1.0 / 63, hits[2].Score, 6);
        Assert.Equal(Math.Sqrt(0.5), hits[0].DenseScore!.Value, 4);
        Assert.True(hits[0].LexicalScore > 0);
        Assert.Equal(1.0, hits[1].DenseScore!.Value, 4);
    }

    [Fact]
    public async Task Search_returns_at_most_top_hits()
    {
        var store = await NewStoreWithRankingFixtureAsync();
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var hits = await store.SearchAsync(Query(mode, Unit(0), Terms((1, 1f), (2, 1f)), top: 1), Ct);
            Assert.Single(hits);
        }
    }

    public static TheoryData<SearchMode, string> FilterCases()
    {
        var data = new TheoryData<SearchMode, string>();
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            foreach (var kind in new[] { "document", "tag", "tenant", "combined", "nothing" })
            {
                data.Add(mode, kind);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FilterCases))]
    public async Task Filters_restrict_every_search_mode(SearchMode mode, string kind)
    {
        var store = await NewStoreAsync();
        // The excluded documents hold the better matches, so a filter that leaks shows at the top.
        await store.UpsertDocumentAsync(Doc("red", tags: ["colour", "warm"], tenant: "acme"),
            [Indexed("red", 0, "red one", Unit(0, 1), Terms((1, 0.5f))), Indexed("red", 1, "red two", Unit(0, 2), Terms((1, 0.4f)))], Ct);
        await store.UpsertDocumentAsync(Doc("blue", tags: ["colour", "cold"], tenant: "globex"),
            [Indexed("blue", 0, "blue one", Unit(0), Terms((1, 2f)))], Ct);
        await store.UpsertDocumentAsync(Doc("plain", tenant: null),
            [Indexed("plain", 0, "plain one", Unit(0), Terms((1, 3f)))], Ct);

        var (filter, expected) = kind switch
        {
            "document" => (new SearchFilter { DocumentIds = ["red", "missing"] }, new[] { "red" }),
            "tag" => (new SearchFilter { Tags = ["warm", "unused"] }, new[] { "red" }),
            "tenant" => (new SearchFilter { Tenant = "globex" }, new[] { "blue" }),
            "combined" => (new SearchFilter { Tags = ["colour"], Tenant = "acme" }, new[] { "red" }),
            _ => (new SearchFilter { DocumentIds = ["blue"], Tenant = "acme" }, Array.Empty<string>()),
        };
        var hits = await store.SearchAsync(Query(mode, Unit(0), Terms((1, 1f)), top: 10) with { Filter = filter }, Ct);

        Assert.Equal(expected, hits.Select(h => h.Chunk.DocumentId).Distinct());
        if (kind is "document" or "tag" or "combined")
        {
            Assert.Equal(2, hits.Count);
        }
    }

    [Fact]
    public async Task Searching_an_empty_store_returns_nothing()
    {
        var store = await NewStoreAsync();
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            Assert.Empty(await store.SearchAsync(Query(mode, Unit(0), Terms((1, 1f))), Ct));
            Assert.Empty(await store.SearchAsync(Query(mode, Unit(0), Terms((1, 1f))) with { Filter = new SearchFilter { Tags = ["x"] } }, Ct));
        }
        Assert.Empty(await ToListAsync(store.ListDocumentsAsync(Ct)));
        Assert.Equal(new StoreStatistics(0, 0, Dimensions, Model), await store.GetStatisticsAsync(Ct));
    }

    [Fact]
    public async Task Unicode_text_round_trips()
    {
        var store = await NewStoreAsync();
        const string id = "手冊/密碼-🔑.md";
        var document = Doc(id, title: "重設密碼 🔑 إعادة تعيين", tags: ["中文", "עברית", "emoji 😀"], tenant: "租戶-α");
        const string text = "忘記密碼時，請點選「重設」。忘记密码 😀👍🏽 مرحبا بالعالم שלום עולם \u200F(RTL)";
        var plain = Indexed(id, 0, text, Unit(0), Terms((7, 1f)));
        var chunk = plain with { Chunk = plain.Chunk with { Headings = ["第一章 簡介", "סעיף ב׳"] } };
        await store.UpsertDocumentAsync(document, [chunk], Ct);

        AssertSameDocument(document with { ChunkCount = 1 }, (await store.GetDocumentAsync(id, Ct))!);
        var stored = Assert.Single(await ToListAsync(store.ReadChunksAsync(id, Ct)));
        AssertSameChunk(chunk.Chunk, stored.Chunk);
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var hit = Assert.Single(await store.SearchAsync(Query(mode, Unit(0), Terms((7, 1f))) with { Filter = new SearchFilter { Tags = ["עברית"] } }, Ct));
            Assert.Equal(text, hit.Chunk.Text);
            Assert.Equal(id, hit.Chunk.DocumentId);
            Assert.Equal(document.Source, hit.Source);
            Assert.Equal(document.Title, hit.Title);
            Assert.Equal(document.Tags, hit.Tags);
        }
    }

    [Fact]
    public async Task Vectors_of_another_size_or_model_are_refused()
    {
        var store = await NewStoreAsync();
        await store.InitializeAsync(Dimensions, Model, Ct);

        var otherSize = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions + 1, Model, Ct));
        Assert.Contains(Dimensions.ToString(), otherSize.Message);
        Assert.Contains((Dimensions + 1).ToString(), otherSize.Message);
        var otherModel = await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.InitializeAsync(Dimensions, "another-model", Ct));
        Assert.Contains(Model, otherModel.Message);
        Assert.Contains("another-model", otherModel.Message);

        var tooLong = Indexed("alpha", 0, "five numbers", new float[Dimensions + 1]);
        await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.UpsertDocumentAsync(Doc("alpha"), [tooLong], Ct));
        Assert.Null(await store.GetDocumentAsync("alpha", Ct));

        await store.UpsertDocumentAsync(Doc("beta"), [Indexed("beta", 0, "fits", Unit(0))], Ct);
        var query = Query(SearchMode.Dense, new float[Dimensions + 1], SparseVector.Empty);
        await Assert.ThrowsAsync<KnowledgeStoreException>(() => store.SearchAsync(query, Ct));
    }

    [Fact]
    public async Task Chunks_read_back_with_their_vectors_and_sparse_weights()
    {
        var store = await NewStoreAsync();
        var first = Indexed("alpha", 0, "zero", Normalize([0.1f, -0.2f, 0.3f, 0.4f]), Terms((5, 0.25f), (900, 1.5f), (4_000_000_000, 2f)));
        IndexedChunk[] chunks =
        [
            first with { Chunk = first.Chunk with { Headings = ["Intro", "Setup"], Page = 3, TokenCount = 17 } },
            Indexed("alpha", 1, "one", Normalize([-1f, 0.5f, 0f, 2f]), SparseVector.Empty),
            Indexed("alpha", 2, "two", Unit(3), Terms((1, 1f))),
        ];
        // Written out of order: reading returns index order.
        await store.UpsertDocumentAsync(Doc("alpha"), [chunks[2], chunks[0], chunks[1]], Ct);

        var stored = await ToListAsync(store.ReadChunksAsync("alpha", Ct));
        Assert.Equal(chunks.Length, stored.Count);
        for (var i = 0; i < chunks.Length; i++)
        {
            AssertSameChunk(chunks[i].Chunk, stored[i].Chunk);
            Assert.Equal(chunks[i].Vector.ToArray(), stored[i].Vector.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
            Assert.Equal(chunks[i].Sparse.Indices, stored[i].Sparse.Indices);
            Assert.Equal(chunks[i].Sparse.Values, stored[i].Sparse.Values, (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    // ---- fixtures and helpers ----

    protected async Task<IKnowledgeStore> NewStoreAsync()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
        var store = await CreateStoreAsync(Dimensions);
        _stores.Add(store);
        await store.InitializeAsync(Dimensions, Model, Ct);
        return store;
    }

    /// <summary>
    /// Three chunks: c-east (dense best for east, no term 2), c-north (lexical best for term 2, dense
    /// orthogonal to east) and c-between (second on both sides for term 2, alone with term 3), plus
    /// c-other in another document, pointing away from east.
    /// </summary>
    private async Task<IKnowledgeStore> NewStoreWithRankingFixtureAsync()
    {
        var store = await NewStoreAsync();
        await store.UpsertDocumentAsync(Doc("ranking"),
        [
            Indexed("ranking", 0, "c-east", Unit(0), Terms((1, 1f))),
            Indexed("ranking", 1, "c-north", Unit(1), Terms((2, 1.2f))),
            Indexed("ranking", 2, "c-between", Unit(0, 1), Terms((2, 0.6f), (3, 1f))),
        ], Ct);
        // A second document so the terms are not in every chunk of the store.
        await store.UpsertDocumentAsync(Doc("other"), [Indexed("other", 0, "c-other", Normalize([-1, 0, 1, 0]), Terms((9, 1f)))], Ct);
        return store;
    }

    protected static StoredDocument Doc(string id, string? title = "A title", IReadOnlyList<string>? tags = null, string? tenant = null, string hash = "hash-1") => new()
    {
        Id = id,
        Source = $"files/{id}",
        Title = title,
        ContentHash = hash,
        Tags = tags ?? [],
        Tenant = tenant,
        IngestedAt = new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero),
    };

    protected static IndexedChunk Indexed(string documentId, int index, string text, float[] vector, SparseVector? sparse = null) => new(
        new Chunk
        {
            Id = Chunk.CreateId(documentId, index, text),
            DocumentId = documentId,
            Index = index,
            Text = text,
            Start = index * 100,
            End = index * 100 + text.Length,
            TokenCount = text.Length,
        },
        vector,
        sparse ?? SparseVector.Empty);

    /// <summary>The unit vector halfway between the given axes.</summary>
    protected static float[] Unit(params int[] axes)
    {
        var vector = new float[Dimensions];
        foreach (var axis in axes)
        {
            vector[axis] = 1;
        }
        return Normalize(vector);
    }

    protected static float[] Normalize(float[] vector)
    {
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return vector.Select(v => v / norm).ToArray();
    }

    protected static SparseVector Terms(params (uint Term, float Weight)[] terms)
    {
        var sorted = terms.OrderBy(t => t.Term).ToArray();
        return new SparseVector(sorted.Select(t => t.Term).ToArray(), sorted.Select(t => t.Weight).ToArray());
    }

    protected static StoreQuery Query(SearchMode mode, ReadOnlyMemory<float> vector, SparseVector sparse, int top = 5) => new()
    {
        Mode = mode,
        Vector = mode == SearchMode.Lexical ? default : vector,
        Sparse = mode == SearchMode.Dense ? SparseVector.Empty : sparse,
        Top = top,
    };

    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return list;
    }

    protected static void AssertSameDocument(StoredDocument expected, StoredDocument actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Title, actual.Title);
        Assert.Equal(expected.ContentHash, actual.ContentHash);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Tenant, actual.Tenant);
        Assert.Equal(expected.ChunkCount, actual.ChunkCount);
        Assert.Equal(expected.IngestedAt, actual.IngestedAt);
    }

    protected static void AssertSameChunk(Chunk expected, Chunk actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.DocumentId, actual.DocumentId);
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.Start, actual.Start);
        Assert.Equal(expected.End, actual.End);
        Assert.Equal(expected.Headings, actual.Headings);
        Assert.Equal(expected.Page, actual.Page);
        Assert.Equal(expected.TokenCount, actual.TokenCount);
    }
}

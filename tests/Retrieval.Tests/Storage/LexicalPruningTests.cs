using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>
/// The index file's pruned lexical search (block-max MaxScore over windows of rows) on a real
/// SQLite store large enough for several windows, with skewed postings lists: a term in every
/// chunk, terms in halves, quarters and eighths of them, a term whose large weights sit in one
/// stretch of rows (so its blocks' bounds differ), and many rare ones; weights from a short list,
/// so equal scores are common. Every answer is checked against exhaustive BM25 computed here:
/// the same chunks, in the same order (ties: the earlier chunk), with the same scores to the bit.
/// </summary>
public sealed class LexicalPruningTests : IDisposable
{
    private const int Documents = 130;
    private const int ChunksPerDocument = 100;
    private const int Dimensions = 8;
    private const uint EveryChunk = 1;
    private const uint Stretch = 50;
    private const uint EvenWeights = 60;

    private static readonly SearchIndexOptions Options = new()
    {
        MinimumFileRows = 1_000,
        RebuildMinimumRows = 100_000,
        MinimumRowsToScan = 300,
        RebuildInBackground = false,
    };

    private readonly TempFolder _folder = new();
    private readonly Random _random = new(17);
    private readonly List<(string Id, int Document, SparseVector Sparse)> _chunks = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Many_term_queries_with_weak_long_lists_return_the_exhaustive_top_k()
    {
        await using var store = await FilledStoreAsync();
        Assert.True(Documents * ChunksPerDocument > 3 * IndexedPostings.WindowRows, "the store must span several windows");
        for (var q = 0; q < 40; q++)
        {
            // A few terms of weight 1 and up to 48 weak ones (as a Chinese question's backoff words), common and rare.
            var terms = new List<(uint, float)> { (EveryChunk, 0.3f), (Stretch, 1f) };
            terms.AddRange(Enumerable.Range(0, 1 + q % 4).Select(_ => (RareTerm(), 1f)));
            terms.AddRange(Enumerable.Range(0, q % 48).Select(i => (i % 3 == 0 ? SkewedTerm() : RareTerm(), 0.3f)));
            var query = Sparse(terms);
            foreach (var top in new[] { 10, 50 })
            {
                await AssertExhaustiveAsync(store, query, top, SearchFilter.None);
            }
        }
    }

    [Fact]
    public async Task Equal_scores_keep_the_earlier_chunks()
    {
        await using var store = await FilledStoreAsync();
        // Every chunk holding this term stores the same weight: all of them tie, and the first ten written win.
        var query = Sparse([(EvenWeights, 1f)]);
        var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = query, Top = 10 }, Ct);

        var holders = _chunks.Where(c => c.Sparse.Indices.Contains(EvenWeights)).Take(10).Select(c => c.Id);
        Assert.Equal(holders, hits.Select(h => h.Chunk.Id));
        Assert.Single(hits.Select(h => h.Score).Distinct());
        // Ties at the cut also hold among stronger terms.
        await AssertExhaustiveAsync(store, Sparse([(EvenWeights, 1f), (EveryChunk, 1f), (2, 0.3f)]), 10, SearchFilter.None);
    }

    [Fact]
    public async Task Filtered_searches_and_deleted_chunks_stay_exact()
    {
        await using var store = await FilledStoreAsync();
        for (var d = 0; d < Documents; d += 9)
        {
            Assert.True(await store.DeleteDocumentAsync(DocumentId(d), Ct));
            _chunks.RemoveAll(c => c.Document == d);
        }
        for (var q = 0; q < 20; q++)
        {
            var terms = new List<(uint, float)> { (Stretch, 1f), (RareTerm(), 1f) };
            terms.AddRange(Enumerable.Range(0, 5 + q).Select(_ => (SkewedTerm(), 0.3f)));
            var query = Sparse(terms);
            await AssertExhaustiveAsync(store, query, 10, SearchFilter.None);
            await AssertExhaustiveAsync(store, query, 10, new SearchFilter { Tags = ["rare"] });
        }
        // The deletions were applied to the file's rows, not by rebuilding it.
        Assert.Equal(1, store.SearchIndex.Statistics.FilesBuilt);
    }

    [Fact]
    public async Task Every_block_bounds_its_postings()
    {
        await using var store = await FilledStoreAsync();
        await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = Sparse([(Stretch, 1f)]), Top = 10 }, Ct);
        using var file = IndexFile.TryOpen(store.SearchIndex.IndexPath)!;
        var terms = file.Header.Terms;
        var termStarts = file.Span<long>(IndexSection.TermStarts, 0, terms + 1);
        var blockStarts = file.Span<int>(IndexSection.TermBlockStarts, 0, terms + 1);
        var lastRows = file.Span<int>(IndexSection.BlockLastRows, 0, file.Header.Blocks);
        var maxima = file.Span<float>(IndexSection.BlockMaxWeights, 0, file.Header.Blocks);
        var blocked = 0;
        for (var t = 0; t < terms; t++)
        {
            var length = (int)(termStarts[t + 1] - termStarts[t]);
            var rows = file.Span<int>(IndexSection.PostingRows, termStarts[t], length);
            var weights = file.Span<float>(IndexSection.PostingWeights, termStarts[t], length);
            Assert.Equal(PostingBlocks.For(length), blockStarts[t + 1] - blockStarts[t]);
            for (var b = 0; b < blockStarts[t + 1] - blockStarts[t]; b++)
            {
                var first = b * PostingBlocks.Size;
                var count = Math.Min(PostingBlocks.Size, length - first);
                Assert.Equal(rows[first + count - 1], lastRows[blockStarts[t] + b]);
                Assert.Equal(weights.Slice(first, count).ToArray().Max(), maxima[blockStarts[t] + b]);
                blocked++;
            }
        }
        Assert.Equal(file.Header.Blocks, blocked);
        Assert.True(blocked > 0);
    }

    private async Task AssertExhaustiveAsync(EmbeddedKnowledgeStore store, SparseVector query, int top, SearchFilter filter)
    {
        var allowed = filter.Tags.Count == 0 ? null : Enumerable.Range(0, Documents).Where(IsRare).ToHashSet();
        var expected = ExhaustiveBm25(query, top, allowed);
        var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = query, Top = top, Filter = filter }, Ct);
        Assert.Equal(expected, hits.Select(h => (h.Chunk.Id, h.Score)));
    }

    /// <summary>BM25 as the store defines it over the live chunks: query weight × idf × stored weight, summed in weight-descending term order; ties by the earlier chunk.</summary>
    private List<(string Id, double Score)> ExhaustiveBm25(SparseVector query, int top, HashSet<int>? allowedDocuments)
    {
        var weights = new List<(uint Term, double Weight)>();
        foreach (var group in Enumerable.Range(0, query.Count).GroupBy(i => query.Indices[i]))
        {
            var df = _chunks.Count(c => Array.BinarySearch(c.Sparse.Indices, group.Key) >= 0);
            if (df > 0)
            {
                var queryWeight = group.Aggregate(0.0, (sum, i) => sum + query.Values[i]);
                weights.Add((group.Key, queryWeight * Math.Log(1 + (_chunks.Count - df + 0.5) / (df + 0.5))));
            }
        }
        var ordered = weights.OrderByDescending(w => w.Weight).ThenBy(w => w.Term).ToList();
        var scored = new List<(string Id, double Score, int Order)>();
        for (var order = 0; order < _chunks.Count; order++)
        {
            var (id, document, sparse) = _chunks[order];
            if (allowedDocuments is not null && !allowedDocuments.Contains(document))
            {
                continue;
            }
            double? score = null;
            foreach (var (term, weight) in ordered)
            {
                var at = Array.BinarySearch(sparse.Indices, term);
                if (at >= 0)
                {
                    score = (score ?? 0) + weight * sparse.Values[at];
                }
            }
            if (score is { } s)
            {
                scored.Add((id, s, order));
            }
        }
        return [.. scored.OrderByDescending(x => x.Score).ThenBy(x => x.Order).Take(top).Select(x => (x.Id, x.Score))];
    }

    private async Task<EmbeddedKnowledgeStore> FilledStoreAsync()
    {
        var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = _folder.File("store.db") }, Options);
        await store.InitializeAsync(Dimensions, "pruning-8", Ct);
        var batch = new List<DocumentUpsert>();
        for (var d = 0; d < Documents; d++)
        {
            var id = DocumentId(d);
            var chunks = new List<IndexedChunk>(ChunksPerDocument);
            for (var i = 0; i < ChunksPerDocument; i++)
            {
                var sparse = ChunkTerms(d * ChunksPerDocument + i);
                var text = $"{id} chunk {i}";
                var chunk = new Chunk { Id = Chunk.CreateId(id, i, text), DocumentId = id, Index = i, Text = text, Start = 0, End = text.Length };
                chunks.Add(new IndexedChunk(chunk, Enumerable.Range(0, Dimensions).Select(_ => (float)_random.NextDouble() - 0.5f).ToArray(), sparse));
                _chunks.Add((chunk.Id, d, sparse));
            }
            batch.Add(new DocumentUpsert(new StoredDocument { Id = id, Source = id, ContentHash = "v1", Tags = IsRare(d) ? ["rare"] : [] }, chunks));
        }
        Assert.All(await store.UpsertDocumentsAsync(batch, Ct), r => Assert.True(r.Succeeded));
        return store;
    }

    /// <summary>A chunk's terms: the skewed common ones, the stretch term (strong only in rows 7,000 to 7,300), the even-weight term, and rare ones.</summary>
    private SparseVector ChunkTerms(int chunk)
    {
        var terms = new List<(uint, float)> { (EveryChunk, Weight()) };
        // Term t (2 to 9) is in about one chunk in 2^(t-1).
        for (uint t = 2; t <= 9; t++)
        {
            if (_random.Next(1 << (int)(t - 1)) == 0)
            {
                terms.Add((t, Weight()));
            }
        }
        if (chunk % 3 == 0)
        {
            terms.Add((Stretch, chunk is >= 7_000 and < 7_300 ? 2f + Weight() : 0.25f));
        }
        if (chunk % 7 == 0)
        {
            terms.Add((EvenWeights, 1f));
        }
        terms.AddRange(Enumerable.Range(0, 8).Select(_ => (RareTerm(), Weight())));
        return Sparse(terms);
    }

    private float Weight() => 0.25f * (1 + _random.Next(8));

    private uint SkewedTerm() => (uint)(2 + _random.Next(8));

    /// <summary>Zipf-like over 100 to 3,000: a few of them in hundreds of chunks, most in a handful.</summary>
    private uint RareTerm() => (uint)Math.Min(3_000, 99 + (int)(1 / (_random.NextDouble() + 0.0004)));

    /// <summary>Two documents in the first and third windows of rows: a filtered search skips the second and fourth.</summary>
    private static bool IsRare(int document) => document is 3 or 103;

    private static string DocumentId(int document) => $"doc{document:D4}";

    private static SparseVector Sparse(IEnumerable<(uint Term, float Weight)> terms)
    {
        // One weight per term in a chunk (the last given wins), ascending ids; a query may repeat a term.
        var sorted = terms.GroupBy(t => t.Term).Select(g => g.Last()).OrderBy(t => t.Term).ToArray();
        return new SparseVector([.. sorted.Select(t => t.Term)], [.. sorted.Select(t => t.Weight)]);
    }
}

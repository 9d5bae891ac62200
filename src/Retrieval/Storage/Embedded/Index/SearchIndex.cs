using System.Numerics.Tensors;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>What a dense search found in memory: exact hits from the recent chunks, and candidates from the index file to rescore exactly.</summary>
internal sealed record DenseCandidates((long ChunkRowId, float Score)[] Exact, long[] FromFile);

/// <summary>A lexical query weighed against the store as it is now (idf from the live chunks).</summary>
/// <param name="Terms">Terms that occur in the store, ascending by id (the order single chunks are re-scored in).</param>
/// <param name="Canonical">The same terms by weight descending, then id: the order every ranked score is summed in.</param>
internal sealed record WeighedQuery(IReadOnlyList<WeightedTerm> Terms, IReadOnlyList<WeightedTerm> Canonical);

/// <summary>
/// The in-memory search state of one store: the index file (chunks up to the stamp it was built
/// at, minus those deleted since, which are marked here), plus the chunks written since, held
/// exactly (vectors in a <see cref="DenseIndex"/>, postings in a <see cref="LexicalDelta"/>).
/// A store too small for an index file has only the latter. Document frequencies are the file's
/// minus those of its deleted chunks plus the recent ones', so BM25 sees the live store.
/// Not thread-safe: the store's index lock guards it.
/// </summary>
internal sealed class SearchIndex : IDisposable
{
    private readonly IndexFile? _file;
    private readonly ListedVectors? _vectors;
    private readonly IndexedPostings? _postings;
    private readonly RowBits _deleted;
    private readonly Dictionary<uint, int> _deletedDocumentFrequency = [];
    private readonly DenseIndex _recentVectors;
    private readonly LexicalDelta _recentPostings = new();
    private readonly SearchIndexOptions _options;

    public SearchIndex(int dimensions, IndexFile? file, SearchIndexOptions options)
    {
        _file = file;
        _options = options;
        _recentVectors = new DenseIndex(dimensions);
        _deleted = new RowBits(file?.Header.Rows ?? 0);
        if (file is not null)
        {
            _vectors = new ListedVectors(file);
            _postings = new IndexedPostings(file);
        }
        SeenChunkRowId = file?.Header.MaxChunkRowId ?? 0;
        SeenChangeSequence = file?.Header.ChangeSequence ?? 0;
    }

    public IndexFile? File => _file;

    public int Dimensions => _recentVectors.Dimensions;

    /// <summary>The highest chunk rowid this state has read (later rows are new).</summary>
    public long SeenChunkRowId { get; set; }

    /// <summary>The last change-log entry this state has applied.</summary>
    public long SeenChangeSequence { get; set; }

    /// <summary>The store generation this state mirrors.</summary>
    public long Generation { get; set; } = -1;

    public int FileRows => _file?.Header.Rows ?? 0;

    public int DeletedFromFile => _deleted.Count;

    /// <summary>Chunks held in memory, outside the file.</summary>
    public int RecentChunks => _recentVectors.Count;

    public int LiveChunks => FileRows - _deleted.Count + _recentVectors.Count;

    /// <summary>Applies a removal logged by the store: the chunk's lexical weights as they were are needed to correct the file's document frequencies.</summary>
    public void Remove(long chunkRowId, SparseVector sparseAsStored)
    {
        if (_recentVectors.Remove(chunkRowId))
        {
            _recentPostings.Remove(chunkRowId);
            return;
        }
        var row = FileRow(chunkRowId);
        if (row >= 0 && _deleted.Add(row))
        {
            foreach (var term in sparseAsStored.Indices)
            {
                _deletedDocumentFrequency[term] = _deletedDocumentFrequency.GetValueOrDefault(term) + 1;
            }
        }
    }

    public void Add(long chunkRowId, long documentKey, ReadOnlySpan<float> vector, SparseVector sparse)
    {
        _recentVectors.Add(chunkRowId, documentKey, vector);
        _recentPostings.Add(chunkRowId, documentKey, sparse);
    }

    /// <summary>Whether the chunk is among those held in the file (and not deleted since).</summary>
    public bool IsInFile(long chunkRowId) => FileRow(chunkRowId) is var row && row >= 0 && !_deleted.Contains(row);

    /// <param name="depth">How many hits the caller ranks (a hybrid search's candidates).</param>
    /// <param name="shown">How many of them the caller returns: the rescoring margin is sized by these, whose order must be exact.</param>
    public DenseCandidates SearchDense(ReadOnlySpan<float> normalizedQuery, int depth, int shown, IReadOnlySet<long>? allowedDocuments)
    {
        var exact = _recentVectors.Search(normalizedQuery, depth, allowedDocuments);
        if (_vectors is null || FileRows == _deleted.Count)
        {
            return new DenseCandidates(exact, []);
        }
        var (filter, eligible) = FileFilter(allowedDocuments);
        if (eligible == 0)
        {
            return new DenseCandidates(exact, []);
        }
        var rescored = depth + Math.Max(_options.RescoreExtra, Math.Min(shown, depth) * (_options.RescoreFactor - 1));
        var plan = new ProbePlan(
            rescored,
            Math.Max(_options.MinimumRowsToScan, (int)(_options.FractionToScan * (FileRows - _deleted.Count))),
            _options.ParallelScanRows,
            rescored * _options.ShortlistFactor,
            _options.FourRowsAtOnce);
        var rows = _vectors.Search(normalizedQuery, plan, filter, eligible);
        var chunkRowIds = _file!.Span<long>(IndexSection.ChunkRowIds, 0, FileRows);
        var candidates = new long[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            candidates[i] = chunkRowIds[rows[i]];
        }
        return new DenseCandidates(exact, candidates);
    }

    /// <summary>The cosine of a recent chunk with a unit query; null when the chunk is not held in memory.</summary>
    public float? ScoreRecent(long chunkRowId, ReadOnlySpan<float> normalizedQuery) => _recentVectors.Score(chunkRowId, normalizedQuery);

    /// <summary>Weighs the query's terms: query weight (summed over repeats) × idf over the live chunks; terms no chunk holds are left out.</summary>
    public WeighedQuery Weigh(SparseVector query)
    {
        var queryWeights = new SortedDictionary<uint, double>();
        for (var i = 0; i < query.Count; i++)
        {
            queryWeights[query.Indices[i]] = queryWeights.GetValueOrDefault(query.Indices[i]) + query.Values[i];
        }
        var chunks = LiveChunks;
        var terms = new List<WeightedTerm>(queryWeights.Count);
        foreach (var (term, queryWeight) in queryWeights)
        {
            var documentFrequency = DocumentFrequency(term);
            if (documentFrequency <= 0)
            {
                continue;
            }
            // Document frequency is global (filters do not change it), as in Qdrant's IDF modifier.
            var idf = Math.Log(1 + (chunks - documentFrequency + 0.5) / (documentFrequency + 0.5));
            terms.Add(new WeightedTerm(term, queryWeight * idf, 0));
        }
        // OrderByDescending is stable: equal weights keep ascending term order.
        var canonical = terms.OrderByDescending(t => t.Weight).Select((t, slot) => t with { Slot = slot }).ToList();
        var slots = canonical.ToDictionary(t => t.Term, t => t.Slot);
        return new WeighedQuery(terms.ConvertAll(t => t with { Slot = slots[t.Term] }), canonical);
    }

    /// <summary>The exact BM25 top <paramref name="depth"/>, best first (ties: the earlier chunk).</summary>
    public List<(long ChunkRowId, double Score)> SearchLexical(WeighedQuery query, int depth, IReadOnlySet<long>? allowedDocuments)
    {
        if (query.Canonical.Count == 0)
        {
            return [];
        }
        var hits = new RankedHits(depth);
        _recentPostings.Search(query.Canonical, allowedDocuments, hits);
        if (_postings is not null)
        {
            var (filter, eligible) = FileFilter(allowedDocuments);
            if (eligible > 0)
            {
                var inFile = new List<(int, WeightedTerm)>();
                foreach (var term in query.Canonical)
                {
                    var index = _postings.Find(term.Term);
                    if (index >= 0)
                    {
                        inFile.Add((index, term));
                    }
                }
                var prune = _file!.Header.NonNegativeWeights && _recentPostings.NonNegativeWeights && query.Canonical.All(t => t.Weight > 0);
                _postings.Search(inFile, query.Canonical.Count, filter, prune, hits);
            }
        }
        return hits.ToRankedList();
    }

    /// <summary>The BM25 scores of given chunks (absent: no query term, or not in the index), summed in ascending term order.</summary>
    public Dictionary<long, double> ScoreLexical(WeighedQuery query, IEnumerable<long> chunkRowIds)
    {
        var scores = new Dictionary<long, double>();
        foreach (var chunkRowId in chunkRowIds)
        {
            var row = _recentPostings.Contains(chunkRowId) ? -1 : FileRow(chunkRowId);
            if (row >= 0 && _deleted.Contains(row))
            {
                continue;
            }
            double? score = null;
            foreach (var term in query.Terms)
            {
                float? weight;
                if (row >= 0)
                {
                    var index = _postings!.Find(term.Term);
                    weight = index >= 0 ? _postings.Weight(index, row) : null;
                }
                else
                {
                    weight = _recentPostings.Weight(chunkRowId, term.Term);
                }
                if (weight is { } w)
                {
                    score = (score ?? 0) + term.Weight * w;
                }
            }
            if (score is { } s)
            {
                scores[chunkRowId] = s;
            }
        }
        return scores;
    }

    public void Dispose() => _file?.Dispose();

    /// <summary>How many live chunks hold the term (diagnostics).</summary>
    public int DocumentFrequencyOf(uint term) => DocumentFrequency(term);

    private int DocumentFrequency(uint term)
    {
        var inFile = 0;
        if (_postings is not null && _postings.Find(term) is var index && index >= 0)
        {
            inFile = _postings.DocumentFrequency(index) - _deletedDocumentFrequency.GetValueOrDefault(term);
        }
        return inFile + _recentPostings.DocumentFrequency(term);
    }

    private int FileRow(long chunkRowId)
    {
        if (_file is null)
        {
            return -1;
        }
        var row = _file.Span<long>(IndexSection.ChunkRowIds, 0, FileRows).BinarySearch(chunkRowId);
        return row >= 0 ? row : -1;
    }

    /// <summary>The file rows a search may return, and how many there are.</summary>
    private (RowFilter Filter, int EligibleRows) FileFilter(IReadOnlySet<long>? allowedDocumentKeys)
    {
        if (allowedDocumentKeys is null)
        {
            return (new RowFilter(_deleted, null), FileRows - _deleted.Count);
        }
        var documents = _file!.Header.Documents;
        var keys = _file.Span<long>(IndexSection.DocumentKeys, 0, documents);
        var starts = _file.Span<int>(IndexSection.DocumentRowStarts, 0, documents + 1);
        var allowed = new bool[documents];
        var rows = 0;
        foreach (var key in allowedDocumentKeys)
        {
            var document = keys.BinarySearch(key);
            if (document >= 0)
            {
                allowed[document] = true;
                rows += starts[document + 1] - starts[document];
            }
        }
        return (new RowFilter(_deleted, allowed), rows);
    }
}

/// <summary>Tuning of the embedded store's search index (defaults measured by bench: store; tests shrink the sizes).</summary>
internal sealed class SearchIndexOptions
{
    /// <summary>Stores with fewer chunks keep everything in memory, exactly, and write no index file.</summary>
    public int MinimumFileRows { get; init; } = 20_000;

    /// <summary>Rebuild the file once the chunks outside it (or deleted from it) exceed this share of it…</summary>
    public double RebuildFraction { get; init; } = 0.05;

    /// <summary>…and this many.</summary>
    public int RebuildMinimumRows { get; init; } = 20_000;

    /// <summary>Dense candidates rescored exactly: the depth asked plus this many times less one the results shown…</summary>
    /// <remarks>
    /// Each candidate's float32 vector is read from SQLite, the larger part of a dense search's time.
    /// More candidates bought no recall (bench: store --profile, 100,000 chunks: 0.844 with 2x and with
    /// 10x at the same scan share): the int8 codes rank the rows the lists reach well enough.
    /// </remarks>
    public int RescoreFactor { get; init; } = 2;

    /// <summary>…or plus this many, whichever is more (a hybrid search ranks 50 dense hits to show 10: they need no wider margin than 10 would).</summary>
    public int RescoreExtra { get; init; } = 40;

    /// <summary>The 4-bit first pass keeps this many times the rescored candidates for the int8 codes to rank again (1: no first pass, the int8 codes are scanned).</summary>
    /// <remarks>
    /// The 4-bit codes are half the bytes of the int8 ones and score in half the instructions, and the
    /// shortlist lost nothing (bench: store --profile, 100,000 chunks, 20% scanned: recall@10 0.953 /
    /// 1.000 with the int8 scan and with shortlists of 4x, 8x and 16x; 30%: 0.978 both ways), while
    /// the dense p50 fell from 2.00 to 1.37 ms wall. 8x leaves room for stores whose vectors the four
    /// bits separate less well.
    /// </remarks>
    public int ShortlistFactor { get; init; } = 8;

    /// <summary>Dense search scans the nearest lists until it has scored this share of the file's rows…</summary>
    /// <remarks>
    /// A share, so the work grows with the store and recall stays put as the lists multiply. Questions
    /// lie farther from their passages than passages from each other, so a query's nearest centroids
    /// miss lists its best rows are in: recall@10 on English questions at 100,000 chunks was 0.844
    /// scanning 3%, 0.893 at 8%, 0.945 at 10% and 0.993 at 20% (Chinese: 0.979 to 1.000).
    /// At 1,000,000 chunks (bench: store --profile, 2026-12-02) 20% gave 0.979 (en) and 25% with the
    /// 4-bit first pass 0.984 at 6.9 ms p50 wall, faster than 20% with the int8 scan (9.8 ms).
    /// </remarks>
    public double FractionToScan { get; init; } = 0.25;

    /// <summary>…and at least this many.</summary>
    public int MinimumRowsToScan { get; init; } = 16_384;

    /// <summary>Unfiltered dense scans of at least this many rows are split across the cores (int.MaxValue: never).</summary>
    /// <remarks>
    /// Below it one core finishes before the fan-out pays for itself (the exact in-memory scan uses the
    /// same bound). A split query waits for its slower half, so on a machine with no free core it can
    /// be slower (bench: store --profile, 1,000,000 chunks, load 10-15 on 2 cores: 10% scanned took
    /// 10.5 ms wall p50 split against 6.0 ms on one core); at the default 20% the split scan measured
    /// 11.0 ms against 12.7-18.3 ms on one core in the same sweep, and 7.5 ms p50 / 14.9 ms p99 in the
    /// run's main table.
    /// </remarks>
    public int ParallelScanRows { get; init; } = 32 * 1024;

    /// <summary>The scan scores unfiltered rows four at a time (false: one at a time; the scores are the same, for the benchmark's comparison).</summary>
    public bool FourRowsAtOnce { get; init; } = true;

    /// <summary>Rebuild in the background (false: on the search that finds it needed, for tests).</summary>
    public bool RebuildInBackground { get; init; } = true;
}

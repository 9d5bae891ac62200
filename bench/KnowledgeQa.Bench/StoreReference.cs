using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Bench;

/// <summary>
/// The exact answers the store's search is checked against, and the dense peer it is timed
/// against: every vector in memory as float32, scanned in full with SIMD on all cores (what the
/// embedded store did before its index file), and BM25 computed exhaustively over every posting of
/// the query terms, summed in the store's canonical term order so scores compare bit for bit.
/// Chunks are numbered by their place in the corpus; ties rank the earlier written chunk first,
/// as chunk rowids do in the store.
/// </summary>
internal sealed class StoreReference
{
    private readonly DenseIndex _vectors;
    private readonly HashSet<uint> _queryTerms;
    private readonly Dictionary<uint, List<(int Chunk, float Weight)>> _postings = [];
    private readonly Dictionary<uint, int> _documentFrequency = [];
    private readonly int[] _documentOf;
    private readonly long[] _written;
    private readonly bool[] _live;
    private readonly double[] _accumulator;
    private long _writeOrder;

    public StoreReference(int capacity, IEnumerable<SparseVector> queries)
    {
        _vectors = new DenseIndex(StoreCorpus.Dimensions, capacity);
        _queryTerms = queries.SelectMany(q => q.Indices).ToHashSet();
        _documentOf = new int[capacity];
        _written = new long[capacity];
        _live = new bool[capacity];
        _accumulator = new double[capacity];
    }

    public int Count { get; private set; }

    public int DocumentOf(int chunk) => _documentOf[chunk];

    public void Add(int chunk, int document, float[] vector, SparseVector sparse)
    {
        _vectors.Add(chunk, document, vector);
        _documentOf[chunk] = document;
        _written[chunk] = _writeOrder++;
        _live[chunk] = true;
        Count++;
        for (var i = 0; i < sparse.Count; i++)
        {
            var term = sparse.Indices[i];
            if (_queryTerms.Contains(term))
            {
                if (!_postings.TryGetValue(term, out var list))
                {
                    _postings[term] = list = [];
                }
                list.Add((chunk, sparse.Values[i]));
                _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
            }
        }
    }

    public void Remove(int chunk, SparseVector sparse)
    {
        _vectors.Remove(chunk);
        _live[chunk] = false;
        Count--;
        foreach (var term in sparse.Indices)
        {
            if (_queryTerms.Contains(term))
            {
                _documentFrequency[term]--;
            }
        }
    }

    /// <summary>The exact top k by cosine (the peer's answer), optionally within allowed documents.</summary>
    public (long Chunk, float Score)[] Dense(float[] normalizedQuery, int top, IReadOnlySet<long>? allowedDocuments) =>
        _vectors.Search(normalizedQuery, top, allowedDocuments);

    /// <summary>The exhaustive BM25 top k as the store defines it.</summary>
    public List<(int Chunk, double Score)> Bm25(SparseVector query, int top, Func<int, bool>? allowedDocument = null)
    {
        var queryWeights = new SortedDictionary<uint, double>();
        for (var i = 0; i < query.Count; i++)
        {
            queryWeights[query.Indices[i]] = queryWeights.GetValueOrDefault(query.Indices[i]) + query.Values[i];
        }
        var terms = new List<(uint Term, double Weight)>();
        foreach (var (term, weight) in queryWeights)
        {
            var df = _documentFrequency.GetValueOrDefault(term);
            if (df > 0)
            {
                terms.Add((term, weight * Math.Log(1 + (Count - df + 0.5) / (df + 0.5))));
            }
        }
        var touched = new List<int>();
        var seen = new HashSet<int>();
        foreach (var (term, weight) in terms.OrderByDescending(t => t.Weight))
        {
            foreach (var (chunk, stored) in _postings[term])
            {
                if (!_live[chunk] || (allowedDocument is not null && !allowedDocument(_documentOf[chunk])))
                {
                    continue;
                }
                if (seen.Add(chunk))
                {
                    touched.Add(chunk);
                    _accumulator[chunk] = 0;
                }
                _accumulator[chunk] += weight * stored;
            }
        }
        var best = touched
            .OrderByDescending(c => _accumulator[c]).ThenBy(c => _written[c])
            .Take(top)
            .Select(c => (c, _accumulator[c]))
            .ToList();
        return best;
    }
}

using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Retrieval.Storage.Embedded.Index;

/// <summary>
/// Postings of the chunks written since the index file was built (all chunks of a store too small
/// for a file), in memory. Each chunk takes a slot; a removed chunk's slot is only marked dead
/// (its postings are skipped) until dead slots outnumber live ones and the postings are compacted.
/// Searches score every live chunk holding a query term, summing in the canonical term order.
/// Not thread-safe: the store's index lock guards it.
/// </summary>
internal sealed class LexicalDelta
{
    private readonly List<long> _chunkRowIds = [];
    private readonly List<long> _documentKeys = [];
    private readonly List<SparseVector?> _sparse = [];
    private readonly Dictionary<long, int> _slotOfChunk = [];
    private Dictionary<uint, List<(int Slot, float Weight)>> _postings = [];
    private readonly Dictionary<uint, int> _documentFrequency = [];

    /// <summary>Live chunks.</summary>
    public int Count => _slotOfChunk.Count;

    /// <summary>Whether every weight ever added is ≥ 0 (pruning in the index file's search relies on it).</summary>
    public bool NonNegativeWeights { get; private set; } = true;

    public int DocumentFrequency(uint term) => _documentFrequency.GetValueOrDefault(term);

    public bool Contains(long chunkRowId) => _slotOfChunk.ContainsKey(chunkRowId);

    public void Add(long chunkRowId, long documentKey, SparseVector sparse)
    {
        Remove(chunkRowId);
        var slot = _chunkRowIds.Count;
        _chunkRowIds.Add(chunkRowId);
        _documentKeys.Add(documentKey);
        _sparse.Add(sparse);
        _slotOfChunk[chunkRowId] = slot;
        AddPostings(slot, sparse);
    }

    /// <summary>Removes a chunk; false when it is not here.</summary>
    public bool Remove(long chunkRowId)
    {
        if (!_slotOfChunk.Remove(chunkRowId, out var slot))
        {
            return false;
        }
        foreach (var term in _sparse[slot]!.Indices)
        {
            _documentFrequency[term]--;
        }
        _sparse[slot] = null;
        if (_chunkRowIds.Count > 1024 && _slotOfChunk.Count < _chunkRowIds.Count / 2)
        {
            Compact();
        }
        return true;
    }

    /// <summary>Scores the live chunks holding the terms (those of allowed documents when a filter is given) into <paramref name="hits"/>.</summary>
    public void Search(IReadOnlyList<WeightedTerm> canonicalTerms, IReadOnlySet<long>? allowedDocuments, RankedHits hits)
    {
        var scores = new Dictionary<int, double>();
        // In canonical order, so each score is the same sum an exhaustive pass makes.
        foreach (var term in canonicalTerms)
        {
            if (!_postings.TryGetValue(term.Term, out var postings))
            {
                continue;
            }
            foreach (var (slot, weight) in postings)
            {
                if (_sparse[slot] is not null && (allowedDocuments is null || allowedDocuments.Contains(_documentKeys[slot])))
                {
                    scores[slot] = scores.GetValueOrDefault(slot) + term.Weight * weight;
                }
            }
        }
        foreach (var (slot, score) in scores)
        {
            hits.Add(_chunkRowIds[slot], score);
        }
    }

    /// <summary>The chunk's stored weight for a term, or null when the chunk or the term is not here.</summary>
    public float? Weight(long chunkRowId, uint term)
    {
        if (!_slotOfChunk.TryGetValue(chunkRowId, out var slot))
        {
            return null;
        }
        var sparse = _sparse[slot]!;
        var at = Array.BinarySearch(sparse.Indices, term);
        return at >= 0 ? sparse.Values[at] : null;
    }

    private void AddPostings(int slot, SparseVector sparse)
    {
        for (var i = 0; i < sparse.Count; i++)
        {
            var term = sparse.Indices[i];
            if (!_postings.TryGetValue(term, out var list))
            {
                _postings[term] = list = [];
            }
            list.Add((slot, sparse.Values[i]));
            _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
            NonNegativeWeights &= sparse.Values[i] >= 0;
        }
    }

    /// <summary>Renumbers the live chunks into fresh slots, in the order they were added.</summary>
    private void Compact()
    {
        var live = Enumerable.Range(0, _chunkRowIds.Count).Where(s => _sparse[s] is not null)
            .Select(s => (ChunkRowId: _chunkRowIds[s], DocumentKey: _documentKeys[s], Sparse: _sparse[s]!)).ToList();
        _chunkRowIds.Clear();
        _documentKeys.Clear();
        _sparse.Clear();
        _slotOfChunk.Clear();
        _postings = [];
        _documentFrequency.Clear();
        foreach (var (chunkRowId, documentKey, sparse) in live)
        {
            Add(chunkRowId, documentKey, sparse);
        }
    }
}

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// BM25 lexical weights. A document term's weight is BM25's term-frequency part,
/// tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)); a query term's weight is how often it occurs
/// (the backoff words of a lone Chinese character, <see cref="ChineseQueryBackoff"/>, weigh less).
/// The store multiplies by each term's IDF at query time, so
/// score = Σ query weight · idf · document weight, which is BM25.
/// Terms: English words lower-cased, Porter-stemmed, minus a short stop list; Chinese runs split
/// by jieba.NET into words and, by default, also into overlapping character bigrams. Bigram terms
/// carry a U+0002 prefix in <see cref="Tokenize"/>'s output so they never merge with the
/// same-looking two-character word.
/// </summary>
public sealed class Bm25SparseEncoder : ILexicalEncoder
{
    private readonly Bm25Options _options;
    private readonly TextTokenizer _tokenizer;

    public Bm25SparseEncoder(Bm25Options? options = null)
    {
        _options = options ?? new Bm25Options();
        _options.Validate();
        _tokenizer = new TextTokenizer(_options);
    }

    public IReadOnlyList<string> Tokenize(string text) => _tokenizer.Tokenize(text);

    public SparseVector EncodeDocument(string text)
    {
        var terms = _tokenizer.Tokenize(text);
        if (terms.Count == 0)
        {
            return SparseVector.Empty;
        }
        var lengthNorm = _options.K1 * (1 - _options.B + _options.B * terms.Count / _options.AverageDocumentLength);
        return Build(CountTerms(terms).Select(pair => KeyValuePair.Create(pair.Key, (float)(pair.Value * (_options.K1 + 1) / (pair.Value + lengthNorm)))));
    }

    /// <summary>
    /// The content character that one of a query's Chinese words stands for when search backs it off
    /// (<see cref="ChineseQueryBackoff"/>): 充 for jieba's made-up word 要充, the character itself for a
    /// lone content character; null for any other word, or when
    /// <see cref="Bm25Options.BackOffLoneChineseCharacters"/> is off. For readers of the question that
    /// must judge a passage the way search matched it (the answerer's relevance step).
    /// </summary>
    public string? StrandedCharacter(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (!_options.BackOffLoneChineseCharacters)
        {
            return null;
        }
        var stranded = new List<string>(1);
        ChineseQueryBackoff.CollectStranded(word, _options.JiebaDictionaryDirectory, stranded);
        return stranded.Count == 1 ? stranded[0] : null;
    }

    public SparseVector EncodeQuery(string text)
    {
        var stranded = _options.BackOffLoneChineseCharacters ? new List<string>() : null;
        var weights = CountTerms(_tokenizer.Tokenize(text, stranded)).ToDictionary(pair => pair.Key, pair => (float)pair.Value, StringComparer.Ordinal);
        if (stranded is { Count: > 0 })
        {
            foreach (var term in ChineseQueryBackoff.Terms(stranded, _options))
            {
                weights.TryAdd(term, ChineseQueryBackoff.Weight);
            }
        }
        return Build(weights);
    }

    private static Dictionary<string, int> CountTerms(List<string> terms)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var term in terms)
        {
            counts[term] = counts.GetValueOrDefault(term) + 1;
        }
        return counts;
    }

    /// <summary>Hashes the terms, sums the weights of terms whose hashes collide, and sorts by id.</summary>
    private static SparseVector Build(IEnumerable<KeyValuePair<string, float>> weights)
    {
        var byId = new Dictionary<uint, float>();
        foreach (var (term, weight) in weights)
        {
            var id = TermHash.Compute(term);
            byId[id] = byId.GetValueOrDefault(id) + weight;
        }
        if (byId.Count == 0)
        {
            return SparseVector.Empty;
        }
        var indices = byId.Keys.ToArray();
        var values = new float[indices.Length];
        Array.Sort(indices);
        for (var i = 0; i < indices.Length; i++)
        {
            values[i] = byId[indices[i]];
        }
        return new SparseVector(indices, values);
    }
}

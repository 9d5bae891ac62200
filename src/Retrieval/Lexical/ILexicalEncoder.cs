namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Turns text into lexical weights for keyword (BM25) search. Document weights hold the term
/// frequency part of BM25; the IDF part is applied by the store at query time from its own
/// document frequencies (as Qdrant's IDF modifier does), so documents never need re-encoding
/// when the corpus grows.
/// </summary>
public interface ILexicalEncoder
{
    /// <summary>The normalised terms of a text, in order (English words lower-cased and stemmed lightly, Chinese segmented).</summary>
    IReadOnlyList<string> Tokenize(string text);

    SparseVector EncodeDocument(string text);

    /// <summary>Each distinct query term with weight 1 (repeated terms add weight); an encoder may add lighter terms of its own (the BM25 encoder's backoff for lone Chinese characters).</summary>
    SparseVector EncodeQuery(string text);
}

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Settings of <see cref="Bm25SparseEncoder"/>. Documents and queries of one store must be
/// encoded with the same settings: changing them means re-ingesting.
/// </summary>
public sealed class Bm25Options
{
    /// <summary>Term-frequency saturation: how quickly repeating a term stops adding weight.</summary>
    public double K1 { get; set; } = 1.2;

    /// <summary>Length normalisation: 0 ignores passage length, 1 divides fully by it.</summary>
    public double B { get; set; } = 0.75;

    /// <summary>
    /// The typical passage length in terms, against which each passage's length is normalised.
    /// A constant rather than the corpus mean, so that a document's weights never depend on the
    /// rest of the corpus and need no re-encoding as it grows.
    /// </summary>
    public double AverageDocumentLength { get; set; } = 256;

    /// <summary>
    /// How Chinese (Han) text becomes terms. Words and bigrams together found the right passage in
    /// the top 5 for 99.1% of DRCD and 99.9% of CMRC 2018 questions, against 98.1% and 99.3% for
    /// jieba words alone (bench: store --data).
    /// </summary>
    public ChineseTerms ChineseTerms { get; set; } = ChineseTerms.WordsAndBigrams;

    /// <summary>
    /// Whether a question's lone Chinese content characters (a single-character word, or one that
    /// jieba glued to a modal such as 要充 in 电池要充多久) also search for the dictionary's
    /// two-character words that hold them (充电, 补充...), at a fraction of a term's weight. Passages
    /// index words and bigrams, never lone characters, so without this such a character matches
    /// nothing. Affects queries only: changing it needs no re-ingest.
    /// </summary>
    public bool BackOffLoneChineseCharacters { get; set; } = true;

    /// <summary>
    /// The folder holding jieba's dictionary and model (dict.txt, prob_trans.json, prob_emit.json, as
    /// the jieba.NET package ships them). Null looks in the "jieba" folder beside the application and
    /// beside this library, where the project file copies them. One dictionary is loaded per process:
    /// the first folder used wins.
    /// </summary>
    public string? JiebaDictionaryDirectory { get; set; }

    internal void Validate()
    {
        if (!(K1 >= 0) || double.IsInfinity(K1))
        {
            throw new InvalidOptionException($"Bm25Options.K1 must be a finite number >= 0 (got {K1}); 1.2 is the usual value.");
        }
        if (!(B is >= 0 and <= 1))
        {
            throw new InvalidOptionException($"Bm25Options.B must be between 0 and 1 (got {B}); 0.75 is the usual value.");
        }
        if (!(AverageDocumentLength > 0) || double.IsInfinity(AverageDocumentLength))
        {
            throw new InvalidOptionException($"Bm25Options.AverageDocumentLength must be a positive number of terms (got {AverageDocumentLength}).");
        }
        if (JiebaDictionaryDirectory is not null)
        {
            ChineseWordSegmenter.EnsureDictionaryIn(JiebaDictionaryDirectory);
        }
    }
}

/// <summary>How Chinese text is split into lexical terms.</summary>
public enum ChineseTerms
{
    /// <summary>Words from jieba's segmentation only.</summary>
    Words,

    /// <summary>
    /// jieba words plus overlapping character bigrams, so a query still matches when jieba
    /// segments it differently from the passage (common for names and Traditional Chinese).
    /// </summary>
    WordsAndBigrams,

    /// <summary>Overlapping character bigrams only (single characters stand alone).</summary>
    Bigrams,
}

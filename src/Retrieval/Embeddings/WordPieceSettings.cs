namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>How a BERT-family model's WordPiece tokenizer was configured when the model was trained.</summary>
internal sealed record WordPieceSettings
{
    public bool LowerCase { get; init; } = true;

    /// <summary>Null follows <see cref="LowerCase"/>, as Hugging Face's BertTokenizer does.</summary>
    public bool? StripAccents { get; init; }

    public bool TokenizeChineseChars { get; init; } = true;
    public string UnknownToken { get; init; } = "[UNK]";
    public string ClassificationToken { get; init; } = "[CLS]";
    public string SeparatorToken { get; init; } = "[SEP]";
    public string PaddingToken { get; init; } = "[PAD]";
    public string MaskingToken { get; init; } = "[MASK]";
    public string ContinuingSubwordPrefix { get; init; } = "##";
    public int MaxInputCharsPerWord { get; init; } = 100;
}

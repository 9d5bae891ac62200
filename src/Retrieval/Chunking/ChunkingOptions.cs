namespace KnowledgeQa.Retrieval.Chunking;

public sealed class ChunkingOptions
{
    /// <summary>Characters per token that <see cref="MaxCharacters"/> = 0 allows (2,048 characters for 256 tokens).</summary>
    public const int CharactersPerToken = 8;

    /// <summary>The smallest character limit accepted.</summary>
    public const int MinCharacters = 64;

    /// <summary>Tokens per chunk at most (without special tokens); 0 fits the embedding model's window.</summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>Tokens repeated from the end of one chunk at the start of the next, within a section.</summary>
    public int OverlapTokens { get; set; } = 32;

    /// <summary>
    /// Characters per chunk at most, whatever the tokens say: a run of letters with no space is a single
    /// unknown token to the tokenizer however long it is, so without this a 5 MB line would be one chunk.
    /// 0 allows <see cref="CharactersPerToken"/> per token of the token limit, far more than real text needs.
    /// </summary>
    public int MaxCharacters { get; set; }

    /// <summary>
    /// Names these settings and the chunker's way of cutting, for fingerprints of what shaped stored chunks:
    /// it changes whenever the same text would be cut differently (the "2" is the content-defined packing).
    /// </summary>
    public string Signature => $"chunker-2:{MaxTokens}:{OverlapTokens}:{MaxCharacters}";
}

using System.Buffers;
using KnowledgeQa.Retrieval.Chunking;
using Microsoft.ML.Tokenizers;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// The embedding model's own WordPiece tokenizer: turns text into the ids the model was trained on
/// and counts tokens for the chunker. Thread-safe.
/// </summary>
public sealed class EmbeddingTokenizer : ITokenCounter, IVocabularyCoverage
{
    // Microsoft.ML.Tokenizers 2.0.1 drops tabs and line breaks without splitting there ("a\ntab" becomes
    // "ata ##b"), unlike Hugging Face's BertTokenizer. Every whitespace character but the plain space is
    // therefore turned into a space first.
    private static readonly SearchValues<char> OtherWhitespace = SearchValues.Create(
        "\t\n\v\f\r\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000");

    // A single word never yields more tokens than MaxInputCharsPerWord: asking the tokenizer for this many
    // extra tokens guarantees that its word-aligned truncation still leaves enough to cut at the exact limit.
    private readonly int _wordSlack;
    private readonly BertTokenizer _tokenizer;

    internal EmbeddingTokenizer(BertTokenizer tokenizer, int maxTokens, int maxInputCharsPerWord)
    {
        _tokenizer = tokenizer;
        MaxTokens = maxTokens;
        _wordSlack = maxInputCharsPerWord + 1;
    }

    /// <summary>Tokens the model takes per input, [CLS] and [SEP] included; longer inputs are truncated.</summary>
    public int MaxTokens { get; }

    public int PaddingTokenId => _tokenizer.PaddingTokenId;

    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.CountTokens(NormalizeWhitespace(text));
    }

    public double KnownTokenShare(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _tokenizer.EncodeToIds(NormalizeWhitespace(text), addSpecialTokens: false);
        if (ids.Count == 0)
        {
            return 1;
        }
        var unknown = 0;
        foreach (var id in ids)
        {
            if (id == _tokenizer.UnknownTokenId)
            {
                unknown++;
            }
        }
        return 1 - (double)unknown / ids.Count;
    }

    /// <summary>
    /// The ids the model is fed for <paramref name="text"/>: [CLS], at most <see cref="MaxTokens"/> - 2
    /// tokens of the text (cut at the token, as sentence-transformers does), [SEP].
    /// </summary>
    public int[] EncodeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var room = MaxTokens - 2;
        var ids = _tokenizer.EncodeToIds(NormalizeWhitespace(text), room + _wordSlack, addSpecialTokens: false, out _, out _);
        var count = Math.Min(ids.Count, room);
        var result = new int[count + 2];
        result[0] = _tokenizer.ClassificationTokenId;
        for (var i = 0; i < count; i++)
        {
            result[i + 1] = ids[i];
        }
        result[count + 1] = _tokenizer.SeparatorTokenId;
        return result;
    }

    internal static string NormalizeWhitespace(string text)
    {
        var first = text.AsSpan().IndexOfAny(OtherWhitespace);
        if (first < 0)
        {
            return text;
        }
        return string.Create(text.Length, (text, first), static (span, state) =>
        {
            var (source, start) = state;
            source.AsSpan(0, start).CopyTo(span);
            for (var i = start; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c != ' ' && char.IsWhiteSpace(c) ? ' ' : c;
            }
        });
    }

    /// <summary>
    /// Loads only the tokenizer of the model <paramref name="options"/> name (the bundled one when
    /// ModelPath is empty): for counting tokens without loading the model itself.
    /// </summary>
    public static EmbeddingTokenizer Load(EmbeddingOptions? options = null)
    {
        options ??= new EmbeddingOptions();
        var source = string.IsNullOrWhiteSpace(options.ModelPath)
            ? EmbeddingModelSource.Bundled()
            : ModelFolderReader.Read(options.ModelPath);
        return Create(source, options);
    }

    internal static EmbeddingTokenizer Create(EmbeddingModelSource source, EmbeddingOptions options)
    {
        if (options.MaxTokens < 0)
        {
            throw new InvalidOptionException($"Embedding MaxTokens is {options.MaxTokens}; use 0 (the model's own limit) or a positive token count.");
        }
        var maxTokens = options.MaxTokens > 0 ? options.MaxTokens : source.DefaultMaxTokens;
        if (maxTokens > source.HardMaxTokens)
        {
            throw new InvalidOptionException(
                $"Embedding MaxTokens is {maxTokens}, but the model {source.ModelId} takes at most {source.HardMaxTokens} tokens. " +
                "Set it to that or less, or to 0 for the model's own limit.");
        }
        if (maxTokens < 3)
        {
            throw new InvalidOptionException($"Embedding MaxTokens is {maxTokens}; it must leave room for [CLS], [SEP] and at least one token.");
        }

        try
        {
            using var vocabulary = source.OpenVocabulary();
            return new EmbeddingTokenizer(CreateBertTokenizer(vocabulary, source.Tokenizer), maxTokens, source.Tokenizer.MaxInputCharsPerWord);
        }
        catch (Exception e) when (e is not KnowledgeQaException and (IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or FormatException))
        {
            throw new EmbeddingModelException(
                $"The tokenizer of embedding model {source.ModelId} could not be loaded: {e.Message} " +
                "Check that vocab.txt (or tokenizer.json) is complete and holds the special tokens ([CLS], [SEP], [PAD], [UNK]).", e);
        }
    }

    private static BertTokenizer CreateBertTokenizer(Stream vocabulary, WordPieceSettings settings) =>
        BertTokenizer.Create(vocabulary, new BertOptions
        {
            LowerCaseBeforeTokenization = settings.LowerCase,
            RemoveNonSpacingMarks = settings.StripAccents ?? settings.LowerCase,
            IndividuallyTokenizeCjk = settings.TokenizeChineseChars,
            ApplyBasicTokenization = true,
            SplitOnSpecialTokens = true,
            UnknownToken = settings.UnknownToken,
            ClassificationToken = settings.ClassificationToken,
            SeparatorToken = settings.SeparatorToken,
            PaddingToken = settings.PaddingToken,
            MaskingToken = settings.MaskingToken,
            ContinuingSubwordPrefix = settings.ContinuingSubwordPrefix,
            MaxInputCharsPerWord = settings.MaxInputCharsPerWord,
        });
}

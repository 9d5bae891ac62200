using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>The real BM25 encoder, recording what it was asked to tokenize (to see whether Chinese text reached jieba).</summary>
public sealed class RecordingLexicalEncoder : ILexicalEncoder
{
    private readonly Bm25SparseEncoder _inner = new();

    public List<string> Texts { get; } = [];

    public IReadOnlyList<string> Tokenize(string text)
    {
        Texts.Add(text);
        return _inner.Tokenize(text);
    }

    public SparseVector EncodeDocument(string text) => _inner.EncodeDocument(text);

    public SparseVector EncodeQuery(string text) => _inner.EncodeQuery(text);
}

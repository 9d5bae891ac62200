using System.Text;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// The id of a lexical term: 32-bit FNV-1a over the term's UTF-8 bytes. Stable across processes,
/// machines and .NET versions (unlike string.GetHashCode), so stored sparse vectors stay valid.
/// </summary>
public static class TermHash
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    public static uint Compute(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        var maxBytes = Encoding.UTF8.GetMaxByteCount(term.Length);
        Span<byte> buffer = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(term, buffer);
        return Compute(buffer[..length]);
    }

    public static uint Compute(ReadOnlySpan<byte> utf8)
    {
        var hash = OffsetBasis;
        foreach (var b in utf8)
        {
            hash ^= b;
            hash *= Prime;
        }
        return hash;
    }
}

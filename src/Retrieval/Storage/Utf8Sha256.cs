using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace KnowledgeQa.Retrieval.Storage;

/// <summary>
/// SHA-256 of a string's UTF-8, without a new array per call: the store hashes every chunk's text
/// and every id and text hash it writes (bench store --write-only). Short strings are encoded on the
/// stack, longer ones (chunk texts of a few KB) into a pooled buffer.
/// </summary>
internal static class Utf8Sha256
{
    private const int MaxStackBytes = 512;

    public static void Hash(string value, Span<byte> hash)
    {
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (length <= MaxStackBytes)
        {
            Span<byte> bytes = stackalloc byte[length];
            SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(value, bytes)], hash);
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            SHA256.HashData(buffer.AsSpan(0, Encoding.UTF8.GetBytes(value, buffer)), hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// Byte layouts of the BLOB columns, little-endian on every platform: a vector is its float32
/// values; sparse weights are a uint32 count, the uint32 term ids, then the float32 weights.
/// </summary>
internal static class BlobCodec
{
    public static byte[] EncodeVector(ReadOnlySpan<float> vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(vector).CopyTo(bytes);
        }
        else
        {
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
            }
        }
        return bytes;
    }

    public static void DecodeVector(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
            return;
        }
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }
    }

    public static float[] DecodeVector(ReadOnlySpan<byte> bytes)
    {
        var vector = new float[bytes.Length / sizeof(float)];
        DecodeVector(bytes, vector);
        return vector;
    }

    public static byte[] EncodeSparse(SparseVector sparse)
    {
        var bytes = new byte[SparseLength(sparse)];
        EncodeSparse(sparse, bytes);
        return bytes;
    }

    /// <summary>The bytes <see cref="EncodeSparse(SparseVector, Span{byte})"/> writes.</summary>
    public static int SparseLength(SparseVector sparse) => sizeof(uint) + sparse.Count * (sizeof(uint) + sizeof(float));

    /// <summary>Writes the sparse layout into <paramref name="destination"/> (at least <see cref="SparseLength"/> bytes), for a writer that reuses one buffer.</summary>
    public static void EncodeSparse(SparseVector sparse, Span<byte> destination)
    {
        var count = sparse.Count;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)count);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(sparse.Indices.AsSpan(0, count)).CopyTo(destination[sizeof(uint)..]);
            MemoryMarshal.AsBytes(sparse.Values.AsSpan(0, count)).CopyTo(destination[(sizeof(uint) * (1 + count))..]);
            return;
        }
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(sizeof(uint) * (1 + i))..], sparse.Indices[i]);
            BinaryPrimitives.WriteSingleLittleEndian(destination[(sizeof(uint) * (1 + count) + sizeof(float) * i)..], sparse.Values[i]);
        }
    }

    public static SparseVector DecodeSparse(ReadOnlySpan<byte> bytes)
    {
        var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (count == 0)
        {
            return SparseVector.Empty;
        }
        var indices = new uint[count];
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            indices[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(sizeof(uint) * (1 + i))..]);
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(sizeof(uint) * (1 + count) + sizeof(float) * i)..]);
        }
        return new SparseVector(indices, values);
    }
}

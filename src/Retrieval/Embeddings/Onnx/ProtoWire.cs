using System.Buffers.Binary;
using System.Text;

namespace KnowledgeQa.Retrieval.Embeddings.Onnx;

/// <summary>
/// The protobuf wire format, just enough to rewrite an ONNX model: a message is read as a list of
/// raw fields (number, wire type, bytes) and written back field by field, so every field this code does
/// not understand (and every future ONNX field) survives a rewrite untouched.
/// </summary>
internal static class ProtoWire
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    /// <summary>One field of a message as it appears on the wire; <see cref="Raw"/> is the whole field, tag included.</summary>
    public readonly record struct Field(int Number, int WireType, ReadOnlyMemory<byte> Raw, ReadOnlyMemory<byte> Payload, ulong Value)
    {
        public string AsString() => Encoding.UTF8.GetString(Payload.Span);
    }

    public static List<Field> ReadFields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<Field>();
        var span = message.Span;
        var position = 0;
        while (position < span.Length)
        {
            var start = position;
            var tag = ReadVarint(span, ref position);
            var number = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            if (number <= 0)
            {
                throw new FormatException($"invalid protobuf field number {number} at byte {start}");
            }
            ulong value = 0;
            ReadOnlyMemory<byte> payload = default;
            switch (wireType)
            {
                case Varint:
                    value = ReadVarint(span, ref position);
                    break;
                case Fixed64:
                    Need(span, position, 8);
                    value = BinaryPrimitives.ReadUInt64LittleEndian(span[position..]);
                    position += 8;
                    break;
                case LengthDelimited:
                    var length = ReadVarint(span, ref position);
                    if (length > (ulong)(span.Length - position))
                    {
                        throw new FormatException($"protobuf field {number} at byte {start} runs past the end of its message");
                    }
                    payload = message.Slice(position, (int)length);
                    position += (int)length;
                    break;
                case Fixed32:
                    Need(span, position, 4);
                    value = BinaryPrimitives.ReadUInt32LittleEndian(span[position..]);
                    position += 4;
                    break;
                default:
                    throw new FormatException($"unsupported protobuf wire type {wireType} at byte {start}");
            }
            fields.Add(new Field(number, wireType, message[start..position], payload, value));
        }
        return fields;
    }

    /// <summary>The values of a repeated int64 field, packed or not.</summary>
    public static List<long> ReadInt64s(IEnumerable<Field> fields, int number)
    {
        var values = new List<long>();
        foreach (var field in fields.Where(f => f.Number == number))
        {
            if (field.WireType == Varint)
            {
                values.Add((long)field.Value);
                continue;
            }
            var span = field.Payload.Span;
            var position = 0;
            while (position < span.Length)
            {
                values.Add((long)ReadVarint(span, ref position));
            }
        }
        return values;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            Need(span, position, 1);
            var b = span[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
        throw new FormatException("protobuf varint longer than 10 bytes");
    }

    private static void Need(ReadOnlySpan<byte> span, int position, int count)
    {
        if (position + count > span.Length)
        {
            throw new FormatException("protobuf message ends in the middle of a field");
        }
    }

    /// <summary>Builds a message field by field.</summary>
    public sealed class Writer
    {
        private readonly MemoryStream _stream = new();

        public Writer Raw(ReadOnlyMemory<byte> bytes)
        {
            _stream.Write(bytes.Span);
            return this;
        }

        public Writer Bytes(int number, ReadOnlySpan<byte> bytes)
        {
            Tag(number, LengthDelimited);
            WriteVarint((ulong)bytes.Length);
            _stream.Write(bytes);
            return this;
        }

        public Writer String(int number, string value) => Bytes(number, Encoding.UTF8.GetBytes(value));

        public Writer Int64(int number, long value)
        {
            Tag(number, Varint);
            WriteVarint((ulong)value);
            return this;
        }

        public Writer Float(int number, float value)
        {
            Tag(number, Fixed32);
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            _stream.Write(bytes);
            return this;
        }

        public Writer PackedInt64s(int number, IEnumerable<long> values)
        {
            var packed = new Writer();
            foreach (var value in values)
            {
                packed.WriteVarint((ulong)value);
            }
            return Bytes(number, packed.ToArray());
        }

        public byte[] ToArray() => _stream.ToArray();

        private void Tag(int number, int wireType) => WriteVarint(((ulong)number << 3) | (uint)wireType);

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _stream.WriteByte((byte)value);
        }
    }
}

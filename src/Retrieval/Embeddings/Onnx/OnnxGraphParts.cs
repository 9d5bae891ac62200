using System.Runtime.InteropServices;

namespace KnowledgeQa.Retrieval.Embeddings.Onnx;

/// <summary>The onnx.proto field numbers and enum values the graph rewrites read or write.</summary>
internal static class OnnxFields
{
    public const int ModelOpsetImport = 8, ModelGraph = 7;
    public const int OpsetDomain = 1, OpsetVersion = 2;
    public const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    public const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;
    public const int AttributeName = 1, AttributeFloat = 2, AttributeInt = 3, AttributeTensor = 5, AttributeGraph = 6, AttributeInts = 8,
        AttributeGraphs = 11, AttributeType = 20;
    public const int AttributeTypeFloat = 1, AttributeTypeInt = 2;
    public const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9, TensorExternalData = 13;
    public const int ValueInfoName = 1;
    public const int FloatType = 1, Int8Type = 3, Int32Type = 6, Int64Type = 7;
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>The names a graph's value-info fields (inputs or outputs) declare.</summary>
    public static IEnumerable<string> ValueNames(IEnumerable<ProtoWire.Field> graphFields, int number) =>
        graphFields.Where(f => f.Number == number)
            .SelectMany(f => ProtoWire.ReadFields(f.Payload).Where(v => v.Number == ValueInfoName).Select(v => v.AsString()));

    /// <summary>The model's fields as they were, with its graph replaced by <paramref name="graph"/>.</summary>
    public static ProtoWire.Writer WithGraph(IEnumerable<ProtoWire.Field> modelFields, byte[] graph)
    {
        var output = new ProtoWire.Writer();
        foreach (var field in modelFields)
        {
            if (field.Number == ModelGraph)
            {
                output.Bytes(ModelGraph, graph);
            }
            else
            {
                output.Raw(field.Raw);
            }
        }
        return output;
    }

    /// <summary>A tensor initializer: dims, data type and little-endian raw bytes.</summary>
    public static byte[] TensorBytes(string name, long[] dims, int dataType, ReadOnlySpan<byte> raw) =>
        new ProtoWire.Writer()
            .PackedInt64s(TensorDims, dims)
            .Int64(TensorDataType, dataType)
            .String(TensorName, name)
            .Bytes(TensorRawData, raw)
            .ToArray();

    /// <summary>A node: its inputs (an empty name for an input left out), outputs, name, operator, attributes and domain ("" for ONNX's own).</summary>
    public static byte[] NodeBytes(string name, string opType, string domain, IEnumerable<string> inputs, IEnumerable<string> outputs, params byte[][] attributes)
    {
        var writer = new ProtoWire.Writer();
        foreach (var input in inputs)
        {
            writer.String(NodeInput, input);
        }
        foreach (var output in outputs)
        {
            writer.String(NodeOutput, output);
        }
        writer.String(NodeName, name).String(NodeOpType, opType);
        foreach (var attribute in attributes)
        {
            writer.Bytes(NodeAttribute, attribute);
        }
        if (domain.Length > 0)
        {
            writer.String(NodeDomain, domain);
        }
        return writer.ToArray();
    }

    public static byte[] IntAttribute(string name, long value) =>
        new ProtoWire.Writer().String(AttributeName, name).Int64(AttributeInt, value).Int64(AttributeType, AttributeTypeInt).ToArray();

    public static byte[] FloatAttribute(string name, float value) =>
        new ProtoWire.Writer().String(AttributeName, name).Float(AttributeFloat, value).Int64(AttributeType, AttributeTypeFloat).ToArray();
}

/// <summary>One node of a graph as read from the wire: what the rewrites match on, plus its attributes.</summary>
internal sealed record OnnxNode(string Name, string OpType, string Domain, List<string> Inputs, List<string> Outputs, List<ProtoWire.Field> Attributes)
{
    public bool HasSubgraph => Attributes.Any(a => ProtoWire.ReadFields(a.Payload).Any(x => x.Number is OnnxFields.AttributeGraph or OnnxFields.AttributeGraphs));

    public bool Is(string opType, string domain = "") =>
        OpType == opType && (domain.Length == 0 ? Domain is "" or "ai.onnx" : Domain == domain);

    public static OnnxNode Read(ReadOnlyMemory<byte> payload)
    {
        var fields = ProtoWire.ReadFields(payload);
        string Text(int number) => fields.LastOrDefault(f => f.Number == number) is { Number: > 0 } f ? f.AsString() : "";
        return new OnnxNode(Text(OnnxFields.NodeName), Text(OnnxFields.NodeOpType), Text(OnnxFields.NodeDomain),
            [.. fields.Where(f => f.Number == OnnxFields.NodeInput).Select(f => f.AsString())],
            [.. fields.Where(f => f.Number == OnnxFields.NodeOutput).Select(f => f.AsString())],
            [.. fields.Where(f => f.Number == OnnxFields.NodeAttribute)]);
    }

    /// <summary>The fields of the attribute of that name; null when the node has none.</summary>
    public List<ProtoWire.Field>? Attribute(string name) =>
        Attributes.Select(a => ProtoWire.ReadFields(a.Payload))
            .FirstOrDefault(f => f.Any(x => x.Number == OnnxFields.AttributeName && x.AsString() == name));

    public List<long>? Ints(string name) => Attribute(name) is { } fields ? ProtoWire.ReadInt64s(fields, OnnxFields.AttributeInts) : null;

    public long? Int(string name) => Attribute(name)?.FirstOrDefault(f => f.Number == OnnxFields.AttributeInt) is { Number: > 0 } f ? (long)f.Value : null;
}

/// <summary>A tensor (an initializer, or a Constant node's value) as read from the wire.</summary>
internal sealed record OnnxTensor(string Name, List<long> Dims, int DataType, bool External, List<ProtoWire.Field> Fields)
{
    public static OnnxTensor Read(ReadOnlyMemory<byte> payload)
    {
        var fields = ProtoWire.ReadFields(payload);
        var dataType = (int)(fields.LastOrDefault(f => f.Number == OnnxFields.TensorDataType).Value);
        var external = fields.Any(f => f.Number == OnnxFields.TensorExternalData);
        return new OnnxTensor(NameOf(fields), ProtoWire.ReadInt64s(fields, OnnxFields.TensorDims), dataType, external, fields);
    }

    public static string ReadName(ReadOnlyMemory<byte> payload) => NameOf(ProtoWire.ReadFields(payload));

    private static string NameOf(List<ProtoWire.Field> fields) =>
        fields.LastOrDefault(f => f.Number == OnnxFields.TensorName) is { Number: > 0 } f ? f.AsString() : "";

    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>The raw bytes, when the tensor keeps its data in raw_data (what exporters and this project's rewrites write).</summary>
    public ReadOnlyMemory<byte>? Raw => Fields.FirstOrDefault(f => f.Number == OnnxFields.TensorRawData) is { Number: > 0 } raw ? raw.Payload : null;

    public bool HasFloatData(long count) =>
        DataType == OnnxFields.FloatType && !External && (Raw is { } raw ? raw.Length == count * sizeof(float) : FloatCount() == count);

    private long FloatCount() =>
        Fields.Where(f => f.Number == OnnxFields.TensorFloatData).Sum(f => f.WireType == ProtoWire.LengthDelimited ? f.Payload.Length / sizeof(float) : 1L);

    public float[] ReadFloats()
    {
        if (Raw is { } raw)
        {
            return MemoryMarshal.Cast<byte, float>(raw.Span).ToArray();
        }
        var values = new List<float>();
        foreach (var field in Fields.Where(f => f.Number == OnnxFields.TensorFloatData))
        {
            if (field.WireType == ProtoWire.LengthDelimited)
            {
                values.AddRange(MemoryMarshal.Cast<byte, float>(field.Payload.Span).ToArray());
            }
            else
            {
                values.Add(BitConverter.UInt32BitsToSingle((uint)field.Value));
            }
        }
        return [.. values];
    }

    /// <summary>The value of a one-element float tensor; null for anything else.</summary>
    public float? Scalar => ElementCount == 1 && HasFloatData(1) ? ReadFloats()[0] : null;
}

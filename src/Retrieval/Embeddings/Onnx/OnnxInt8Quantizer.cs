using System.Runtime.InteropServices;

using static KnowledgeQa.Retrieval.Embeddings.Onnx.OnnxFields;

namespace KnowledgeQa.Retrieval.Embeddings.Onnx;

/// <summary>
/// Derives an int8 model from a float32 ONNX encoder by dynamic quantization, as ONNX Runtime's own
/// quantize_dynamic does for MatMul: every MatMul whose second input is a constant float matrix becomes
/// ONNX Runtime's DynamicQuantizeMatMul (com.microsoft), which quantizes the activations per call and
/// multiplies in int8. The weights are quantized per output column, symmetric, to 7 bits: on x86 CPUs
/// without VNNI the u8 x s8 kernel adds pairs of products in 16 bits, which 8-bit weights can overflow
/// (ONNX Runtime's "reduce_range"); 7 bits cannot, and per-column scales keep the error small.
/// Everything else in the graph (embeddings, attention, layer norms, activations) stays float32. Then
/// <see cref="OnnxAttentionFusion"/> turns each layer's attention into one quantized query/key/value product and
/// ONNX Runtime's MultiHeadAttention, which ONNX Runtime's own optimiser does not do for this export.
/// </summary>
/// <remarks>
/// Written over the protobuf wire format (<see cref="ProtoWire"/>) rather than a full ONNX object model:
/// only nodes and initializers are decoded; every other field is copied byte for byte, so the rewrite
/// is safe for any BERT-family export and the output is deterministic (a cache key can rely on it).
/// </remarks>
internal static class OnnxInt8Quantizer
{
    /// <summary>Part of every cache key of a derived model: bump it whenever the output of <see cref="Quantize"/> changes.</summary>
    public const string Version = "dqmm-s7-mha-v3";

    private const int QuantMax = 63;
    // Small matrices (a classifier head, a projection to a handful of outputs) gain nothing.
    private const long MinimumWeights = 16 * 1024;

    /// <summary>The quantized model, and how many MatMuls were rewritten (0: the input had none to rewrite).</summary>
    /// <param name="fuseAttention">false leaves the attention as exported (the benchmark's comparison of the fusion).</param>
    /// <param name="paddingMask">true keeps the padding mask in the fused attention (the benchmark's comparison with
    /// the earlier graph, which took padded runs); the library's graph has none (see <see cref="OnnxAttentionFusion"/>).</param>
    public static (byte[] Model, int QuantizedMatMuls) Quantize(ReadOnlyMemory<byte> model, bool fuseAttention = true, bool paddingMask = false)
    {
        var (quantized, count) = QuantizeMatMuls(model);
        return (count > 0 && fuseAttention ? OnnxAttentionFusion.Fuse(quantized, paddingMask).Model : quantized, count);
    }

    private static (byte[] Model, int QuantizedMatMuls) QuantizeMatMuls(ReadOnlyMemory<byte> model)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("int8 quantization reads tensor bytes as little-endian floats.");
        }

        var modelFields = ProtoWire.ReadFields(model);
        var graphs = modelFields.Where(f => f.Number == ModelGraph).ToList();
        if (graphs.Count != 1)
        {
            throw new FormatException("the model has no graph (or more than one): not an ONNX model");
        }
        var graphFields = ProtoWire.ReadFields(graphs[0].Payload);

        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var field in graphFields.Where(f => f.Number == GraphInitializer))
        {
            var tensor = OnnxTensor.Read(field.Payload);
            initializers[tensor.Name] = tensor;
        }
        var nodes = graphFields.Where(f => f.Number == GraphNode).Select(f => OnnxNode.Read(f.Payload)).ToList();

        // Names still read after the rewrite decide which float weights can be dropped. A node with a
        // subgraph may read any outer name, so then nothing is dropped.
        var keepAllInitializers = nodes.Any(n => n.HasSubgraph);
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in nodes.SelectMany(n => n.Inputs).Concat(OnnxFields.ValueNames(graphFields, GraphOutput)).Where(n => n.Length > 0))
        {
            uses[name] = uses.GetValueOrDefault(name) + 1;
        }

        var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var input in nodes[i].Inputs)
            {
                if (!consumers.TryGetValue(input, out var list))
                {
                    consumers[input] = list = [];
                }
                list.Add(i);
            }
        }

        var graphOutputs = OnnxFields.ValueNames(graphFields, GraphOutput).ToHashSet(StringComparer.Ordinal);
        var rewritten = new Dictionary<int, byte[]>(); // node index -> new node
        var removed = new HashSet<int>(); // bias Adds folded into the DynamicQuantizeMatMul before them
        var added = new List<byte[]>();
        var quantizedWeights = new Dictionary<string, (string Weights, string Scale)>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (node.OpType != "MatMul" || node.Domain is not ("" or "ai.onnx") || node.Inputs.Count != 2 || node.Outputs.Count != 1
                || initializers.ContainsKey(node.Inputs[0])
                || !initializers.TryGetValue(node.Inputs[1], out var weight) || !IsQuantizableMatrix(weight))
            {
                continue;
            }
            if (!quantizedWeights.TryGetValue(weight.Name, out var names))
            {
                names = ($"{weight.Name}_int8", $"{weight.Name}_int8_scale");
                added.AddRange(QuantizeColumns(weight, names));
                quantizedWeights[weight.Name] = names;
            }
            uses[weight.Name]--;
            // MatMul followed by the layer's bias Add: the bias goes into the quantized node, one pass less.
            var result = node.Outputs[0];
            string? bias = null;
            if (consumers.TryGetValue(result, out var readers) && readers.Count == 1 && !graphOutputs.Contains(result)
                && nodes[readers[0]] is { OpType: "Add", Domain: "" or "ai.onnx", Inputs.Count: 2, Outputs.Count: 1 } add
                && add.Inputs.FirstOrDefault(x => x != result) is { } other
                && initializers.TryGetValue(other, out var biasTensor) && biasTensor.DataType == FloatType
                && biasTensor.Dims.Count == 1 && biasTensor.Dims[0] == weight.Dims[1])
            {
                bias = other;
                result = add.Outputs[0];
                removed.Add(readers[0]);
            }
            // Symmetric weights: the zero point is 0, the input's default, so it is left out (an empty
            // name) rather than given as a tensor of zeros.
            string[] inputs = bias is null ? [node.Inputs[0], names.Weights, names.Scale] : [node.Inputs[0], names.Weights, names.Scale, "", bias];
            rewritten[i] = NodeBytes((node.Name.Length > 0 ? node.Name : node.Outputs[0]) + "_int8", "DynamicQuantizeMatMul", MicrosoftDomain, inputs, [result]);
        }
        if (rewritten.Count == 0)
        {
            return (model.ToArray(), 0);
        }

        var graph = new ProtoWire.Writer();
        var nodeIndex = 0;
        foreach (var field in graphFields)
        {
            if (field.Number == GraphNode)
            {
                var index = nodeIndex++;
                if (removed.Contains(index))
                {
                    continue;
                }
                if (rewritten.TryGetValue(index, out var node))
                {
                    graph.Bytes(GraphNode, node);
                    continue;
                }
            }
            else if (field.Number == GraphInitializer && !keepAllInitializers)
            {
                var name = OnnxTensor.ReadName(field.Payload);
                if (quantizedWeights.ContainsKey(name) && uses.GetValueOrDefault(name) <= 0)
                {
                    continue;
                }
            }
            graph.Raw(field.Raw);
        }
        foreach (var tensor in added)
        {
            graph.Bytes(GraphInitializer, tensor);
        }

        var output = WithGraph(modelFields, graph.ToArray());
        var importsMicrosoft = modelFields.Where(f => f.Number == ModelOpsetImport)
            .Any(f => ProtoWire.ReadFields(f.Payload).Any(o => o.Number == OpsetDomain && o.AsString() == MicrosoftDomain));
        if (!importsMicrosoft)
        {
            output.Bytes(ModelOpsetImport, new ProtoWire.Writer().String(OpsetDomain, MicrosoftDomain).Int64(OpsetVersion, 1).ToArray());
        }
        return (output.ToArray(), rewritten.Count);
    }

    /// <summary>int8 weights [K, N] and a float scale per column [N]; symmetric, so no zero points.</summary>
    private static IEnumerable<byte[]> QuantizeColumns(OnnxTensor weight, (string Weights, string Scale) names)
    {
        var rows = (int)weight.Dims[0];
        var columns = (int)weight.Dims[1];
        var values = weight.ReadFloats();
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns);
            for (var c = 0; c < columns; c++)
            {
                scales[c] = Math.Max(scales[c], Math.Abs(row[c]));
            }
        }
        for (var c = 0; c < columns; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / QuantMax : 1f;
        }

        var quantized = new byte[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                var q = MathF.Round(values[r * columns + c] / scales[c], MidpointRounding.ToEven);
                quantized[r * columns + c] = (byte)(sbyte)Math.Clamp(q, -QuantMax, QuantMax);
            }
        }

        var scaleBytes = new byte[columns * sizeof(float)];
        MemoryMarshal.AsBytes(scales.AsSpan()).CopyTo(scaleBytes);
        yield return OnnxFields.TensorBytes(names.Weights, [rows, columns], Int8Type, quantized);
        yield return OnnxFields.TensorBytes(names.Scale, [columns], FloatType, scaleBytes);
    }

    private static bool IsQuantizableMatrix(OnnxTensor tensor) =>
        tensor.DataType == FloatType && !tensor.External && tensor.Dims.Count == 2 && tensor.Dims[0] > 1 && tensor.Dims[1] > 1
        && tensor.Dims[0] * tensor.Dims[1] >= MinimumWeights && tensor.HasFloatData(tensor.Dims[0] * tensor.Dims[1]);
}

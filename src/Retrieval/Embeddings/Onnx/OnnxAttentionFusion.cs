using System.Runtime.InteropServices;
using static KnowledgeQa.Retrieval.Embeddings.Onnx.OnnxFields;

namespace KnowledgeQa.Retrieval.Embeddings.Onnx;

/// <summary>
/// Rewrites the self-attention of each layer of a dynamically quantized BERT-family encoder (the output of
/// <see cref="OnnxInt8Quantizer"/>) into two ONNX Runtime contrib operators: one DynamicQuantizeMatMul for the
/// query, key and value projections together (their int8 weights, per-column scales and biases side by side,
/// so the activations are quantized once and multiplied in one wider product; a Split hands out the three),
/// and MultiHeadAttention (com.microsoft) for the scaled Q·Kᵀ, the softmax and the product with V, in place of
/// the exported Reshape/Transpose/MatMul/Div/Add/Softmax/MatMul/Transpose/Reshape chain.
/// ONNX Runtime's own optimiser fuses this export's attention neither for float32 nor for int8.
/// </summary>
/// <remarks>
/// The fused attention has no padding mask: every token of a run attends to every other, so the graph is fed
/// only runs without padding (the generator's <see cref="EmbeddingRunPlan.PadFree"/> runs, always for int8).
/// Without a mask ONNX Runtime's CPU MultiHeadAttention takes MLAS's flash path, which keeps its tiles in cache,
/// instead of writing the whole rows x heads x length² score tensor, adding the mask and softmaxing it in
/// separate passes. For a run without padding the export's mask adds 0 everywhere, so the result is the same;
/// <c>paddingMask</c> keeps it (the benchmark compares the earlier graph). The three projections read the same
/// input, so one quantization of it is the one each did alone; MultiHeadAttention scales by 1/√head size, the
/// export's divisor. A layer is rewritten only when the whole pattern is there, checked node by node (transpose
/// permutations, the divisor, the mask built from the attention_mask input); anything else is left as it was.
/// Measured on the bundled all-MiniLM-L6-v2 on a 2-core AVX2 CPU: about 7% less CPU per chunk than the unfused
/// int8 graph with its mask; without the mask, on pad-free runs, 15-19% less again (bench `variants`); vectors
/// within 1e-5 cosine of the unfused graph on the same unpadded rows (test <c>Int8ModelTests</c>).
/// </remarks>
internal static class OnnxAttentionFusion
{
    private static readonly long[] QueryOrder = [0, 2, 1, 3];
    private static readonly long[] KeyOrder = [0, 2, 3, 1];

    /// <summary>The rewritten model and how many attention blocks were fused (0: the model is returned as it was).</summary>
    public static (byte[] Model, int FusedAttentions) Fuse(ReadOnlyMemory<byte> model, bool paddingMask = false)
    {
        var modelFields = ProtoWire.ReadFields(model);
        var graphField = modelFields.Single(f => f.Number == ModelGraph);
        var graphFields = ProtoWire.ReadFields(graphField.Payload);
        var graph = new Graph(graphFields);
        if (graph.Nodes.Any(n => n.HasSubgraph))
        {
            return (model.ToArray(), 0);
        }

        var blocks = graph.Nodes.Select((node, index) => (node, index)).Where(x => x.node.Is("Softmax"))
            .Select(x => graph.MatchAttention(x.index)).OfType<AttentionBlock>().ToList();
        // One mask for every layer, from the same graph input, or nothing is fused (a model with two masks is not this pattern).
        if (blocks.Count == 0 || blocks.Select(b => (b.MaskInput, b.MaskValue)).Distinct().Count() != 1)
        {
            return (model.ToArray(), 0);
        }

        var maskName = $"{blocks[0].MaskInput}_int32_for_attention";
        var inserted = new Dictionary<int, List<byte[]>>(); // node index -> nodes written in its place
        var newInitializers = new List<byte[]>();
        foreach (var block in blocks)
        {
            var fused = $"{graph.Nodes[block.Projections[0]].Outputs[0]}_qkv";
            var weights = block.Projections.Select(p => graph.Initializer(graph.Nodes[p].Inputs[1])).ToArray();
            var width = weights.Sum(w => w.Dims[1]);
            newInitializers.Add(TensorBytes($"{fused}_weights", [weights[0].Dims[0], width], Int8Type, ConcatColumns(weights)));
            newInitializers.Add(TensorBytes($"{fused}_scales", [width], FloatType, Concat(block.Projections.Select(p => graph.Initializer(graph.Nodes[p].Inputs[2])))));
            newInitializers.Add(TensorBytes($"{fused}_bias", [width], FloatType, Concat(block.Projections.Select(p => graph.Initializer(graph.Nodes[p].Inputs[4])))));
            newInitializers.Add(TensorBytes($"{fused}_split", [3], Int64Type, MemoryMarshal.AsBytes(weights.Select(w => w.Dims[1]).ToArray().AsSpan())));

            var query = graph.Nodes[block.Projections[0]];
            var parts = new[] { $"{fused}_q", $"{fused}_k", $"{fused}_v" };
            inserted[block.Projections.Min()] =
            [
                NodeBytes($"{fused}_int8", "DynamicQuantizeMatMul", MicrosoftDomain, [query.Inputs[0], $"{fused}_weights", $"{fused}_scales", "", $"{fused}_bias"], [fused]),
                NodeBytes($"{fused}_split", "Split", "", [fused, $"{fused}_split"], parts, IntAttribute("axis", -1)),
            ];
            inserted[block.ContextReshape] =
            [
                paddingMask
                    ? NodeBytes($"{fused}_attention", "MultiHeadAttention", MicrosoftDomain, [.. parts, "", maskName], [graph.Nodes[block.ContextReshape].Outputs[0]],
                        IntAttribute("num_heads", block.Heads), FloatAttribute("mask_filter_value", block.MaskValue))
                    : NodeBytes($"{fused}_attention", "MultiHeadAttention", MicrosoftDomain, parts, [graph.Nodes[block.ContextReshape].Outputs[0]],
                        IntAttribute("num_heads", block.Heads)),
            ];
        }
        byte[]? maskCast = paddingMask ? NodeBytes(maskName, "Cast", "", [blocks[0].MaskInput], [maskName], IntAttribute("to", Int32Type)) : null;

        // What the new nodes read, and what the graph returns, keeps a node alive; the old chains die.
        var newNodes = inserted.Values.SelectMany(n => n).Concat(maskCast is null ? [] : [maskCast]).Select(n => OnnxNode.Read(n)).ToList();
        var live = graph.LiveNodes(newNodes.SelectMany(n => n.Inputs), except: inserted.Keys);
        var read = live.SelectMany(i => graph.Nodes[i].Inputs).Concat(newNodes.SelectMany(n => n.Inputs))
            .Concat(graph.Outputs).Concat(ValueNames(graphFields, GraphInput)).ToHashSet(StringComparer.Ordinal);
        // A name the rewritten graph reads that nothing gives any more (a projection's output read outside its
        // attention block, say) means the pattern was not self-contained: leave the model as it was.
        var given = live.SelectMany(i => graph.Nodes[i].Outputs).Concat(newNodes.SelectMany(n => n.Outputs))
            .Concat(ValueNames(graphFields, GraphInput)).Concat(graph.InitializerNames).Append("").ToHashSet(StringComparer.Ordinal);
        given.UnionWith(newInitializers.Select(t => OnnxTensor.ReadName(t)));
        if (!read.All(given.Contains))
        {
            return (model.ToArray(), 0);
        }

        var writer = new ProtoWire.Writer();
        var nodeIndex = 0;
        var castWritten = maskCast is null;
        foreach (var field in graphFields)
        {
            if (field.Number == GraphNode)
            {
                if (!castWritten)
                {
                    writer.Bytes(GraphNode, maskCast!);
                    castWritten = true;
                }
                var index = nodeIndex++;
                if (inserted.TryGetValue(index, out var replacement))
                {
                    replacement.ForEach(n => writer.Bytes(GraphNode, n));
                }
                else if (live.Contains(index))
                {
                    writer.Raw(field.Raw);
                }
                continue;
            }
            if (field.Number == GraphInitializer && !read.Contains(OnnxTensor.ReadName(field.Payload)))
            {
                continue;
            }
            writer.Raw(field.Raw);
        }
        newInitializers.ForEach(t => writer.Bytes(GraphInitializer, t));

        return (WithGraph(modelFields, writer.ToArray()).ToArray(), blocks.Count);
    }

    private sealed record AttentionBlock(int[] Projections, int ContextReshape, long Heads, string MaskInput, float MaskValue);

    /// <summary>The nodes of one graph with who produces and who reads each name.</summary>
    private sealed class Graph
    {
        private readonly Dictionary<string, int> _producers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<int>> _consumers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ReadOnlyMemory<byte>> _initializers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _inputs;

        public Graph(List<ProtoWire.Field> fields)
        {
            Nodes = [.. fields.Where(f => f.Number == GraphNode).Select(f => OnnxNode.Read(f.Payload))];
            foreach (var field in fields.Where(f => f.Number == GraphInitializer))
            {
                _initializers[OnnxTensor.ReadName(field.Payload)] = field.Payload;
            }
            for (var i = 0; i < Nodes.Count; i++)
            {
                Nodes[i].Outputs.ForEach(o => _producers[o] = i);
                foreach (var input in Nodes[i].Inputs)
                {
                    if (!_consumers.TryGetValue(input, out var list))
                    {
                        _consumers[input] = list = [];
                    }
                    list.Add(i);
                }
            }
            Outputs = [.. ValueNames(fields, GraphOutput)];
            _inputs = ValueNames(fields, GraphInput).Where(n => !_initializers.ContainsKey(n)).ToHashSet(StringComparer.Ordinal);
        }

        public List<OnnxNode> Nodes { get; }

        public List<string> Outputs { get; }

        public OnnxTensor Initializer(string name) => OnnxTensor.Read(_initializers[name]);

        public IEnumerable<string> InitializerNames => _initializers.Keys;

        /// <summary>The indexes of the nodes that the graph outputs and the given names still need, walking back from them.</summary>
        public HashSet<int> LiveNodes(IEnumerable<string> alsoRead, IEnumerable<int> except)
        {
            var removed = except.ToHashSet();
            var live = new HashSet<int>();
            var pending = new Stack<string>(Outputs.Concat(alsoRead));
            while (pending.TryPop(out var name))
            {
                if (_producers.TryGetValue(name, out var index) && !removed.Contains(index) && live.Add(index))
                {
                    Nodes[index].Inputs.ForEach(pending.Push);
                }
            }
            return live;
        }

        /// <summary>The attention block whose Softmax is that node, or null where any part of the pattern differs.</summary>
        public AttentionBlock? MatchAttention(int softmax)
        {
            var axis = Nodes[softmax].Int("axis") ?? -1;
            if (axis is not (-1 or 3)
                || Producer(Nodes[softmax].Inputs[0], "Add") is not { } maskAdd
                || SingleReader(Nodes[softmax].Outputs[0]) is not { } weighted || !Nodes[weighted].Is("MatMul") || Nodes[weighted].Inputs[0] != Nodes[softmax].Outputs[0])
            {
                return null;
            }
            var (scaled, mask) = Producer(Nodes[maskAdd].Inputs[0], "Div") is { } d ? (d, Nodes[maskAdd].Inputs[1])
                : Producer(Nodes[maskAdd].Inputs[1], "Div") is { } e ? (e, Nodes[maskAdd].Inputs[0]) : (-1, "");
            if (scaled < 0 || Producer(Nodes[scaled].Inputs[0], "MatMul") is not { } scores || Scalar(Nodes[scaled].Inputs[1]) is not { } divisor
                || MaskOf(mask) is not { } maskSource)
            {
                return null;
            }
            var headSize = (long)Math.Round(divisor * divisor);
            if (headSize < 1 || Math.Abs(MathF.Sqrt(headSize) - divisor) > 1e-4f * divisor)
            {
                return null;
            }
            if (HeadsOf(Nodes[scores].Inputs[0], QueryOrder) is not { } query || HeadsOf(Nodes[scores].Inputs[1], KeyOrder) is not { } key
                || HeadsOf(Nodes[weighted].Inputs[1], QueryOrder) is not { } value)
            {
                return null;
            }
            // The context: heads back to [batch, sequence, hidden], read by a Reshape (and by the Shape nodes that size it).
            if (SingleReader(Nodes[weighted].Outputs[0]) is not { } back || !Is(back, "Transpose", QueryOrder)
                || _consumers.GetValueOrDefault(Nodes[back].Outputs[0]) is not { } readers
                || readers.Where(r => Nodes[r].Is("Reshape")).ToList() is not [var context]
                || readers.Any(r => r != context && !Nodes[r].Is("Shape")))
            {
                return null;
            }
            int[] projections = [query, key, value];
            var first = Nodes[query];
            if (projections.Distinct().Count() != 3 || projections.Any(p => !IsFusableProjection(p, first.Inputs[0])))
            {
                return null;
            }
            var widths = projections.Select(p => Initializer(Nodes[p].Inputs[1]).Dims).ToArray();
            var hidden = widths[0][1];
            if (widths.Any(w => w[0] != widths[0][0] || w[1] != hidden) || hidden % headSize != 0)
            {
                return null;
            }
            return new AttentionBlock(projections, context, hidden / headSize, maskSource.Input, maskSource.Value);
        }

        /// <summary>A DynamicQuantizeMatMul of that input by constant int8 weights with per-column scales, a bias and no zero point.</summary>
        private bool IsFusableProjection(int node, string input)
        {
            var n = Nodes[node];
            if (!n.Is("DynamicQuantizeMatMul", MicrosoftDomain) || n.Inputs.Count != 5 || n.Inputs[0] != input || n.Inputs[3].Length != 0
                || !_initializers.ContainsKey(n.Inputs[1]) || !_initializers.ContainsKey(n.Inputs[2]) || !_initializers.ContainsKey(n.Inputs[4]))
            {
                return false;
            }
            var (weights, scales, bias) = (Initializer(n.Inputs[1]), Initializer(n.Inputs[2]), Initializer(n.Inputs[4]));
            return weights is { DataType: Int8Type, External: false, Dims.Count: 2 } && weights.Raw?.Length == weights.ElementCount
                && scales.Dims.Count == 1 && scales.Dims[0] == weights.Dims[1] && scales.HasFloatData(weights.Dims[1]) && scales.Raw is not null
                && bias.Dims.Count == 1 && bias.Dims[0] == weights.Dims[1] && bias.HasFloatData(weights.Dims[1]) && bias.Raw is not null;
        }

        /// <summary>The projection node behind Transpose(Reshape(projection)) with that permutation.</summary>
        private int? HeadsOf(string name, long[] order)
        {
            if (!_producers.TryGetValue(name, out var transpose) || !Is(transpose, "Transpose", order)
                || Producer(Nodes[transpose].Inputs[0], "Reshape") is not { } reshape)
            {
                return null;
            }
            return _producers.TryGetValue(Nodes[reshape].Inputs[0], out var projection) ? projection : null;
        }

        /// <summary>The graph input and value of the export's additive mask: Mul(Sub(1, Cast(Unsqueeze(Unsqueeze(input)))), value).</summary>
        private (string Input, float Value)? MaskOf(string name)
        {
            if (Producer(name, "Mul") is not { } mul)
            {
                return null;
            }
            var (subName, value) = Scalar(Nodes[mul].Inputs[1]) is { } v ? (Nodes[mul].Inputs[0], v)
                : Scalar(Nodes[mul].Inputs[0]) is { } w ? (Nodes[mul].Inputs[1], w) : ("", 0f);
            if (value > -1000f || Producer(subName, "Sub") is not { } sub || Scalar(Nodes[sub].Inputs[0]) != 1f
                || Producer(Nodes[sub].Inputs[1], "Cast") is not { } cast || Nodes[cast].Int("to") != FloatType)
            {
                return null;
            }
            var source = Nodes[cast].Inputs[0];
            for (var i = 0; i < 2; i++)
            {
                if (Producer(source, "Unsqueeze") is not { } unsqueeze)
                {
                    return null;
                }
                source = Nodes[unsqueeze].Inputs[0];
            }
            return _inputs.Contains(source) ? (source, value) : null;
        }

        private int? Producer(string name, string opType) =>
            _producers.TryGetValue(name, out var index) && Nodes[index].Is(opType) ? index : null;

        private int? SingleReader(string name) =>
            _consumers.GetValueOrDefault(name) is [var only] && !Outputs.Contains(name) ? only : null;

        private bool Is(int node, string opType, long[] permutation) =>
            Nodes[node].Is(opType) && Nodes[node].Ints("perm") is { } perm && perm.SequenceEqual(permutation);

        /// <summary>A float scalar from an initializer or a Constant node.</summary>
        private float? Scalar(string name)
        {
            if (_initializers.TryGetValue(name, out var tensor))
            {
                return OnnxTensor.Read(tensor).Scalar;
            }
            if (Producer(name, "Constant") is { } constant
                && Nodes[constant].Attribute("value")?.FirstOrDefault(f => f.Number == AttributeTensor) is { Number: > 0 } value)
            {
                return OnnxTensor.Read(value.Payload).Scalar;
            }
            return null;
        }
    }

    private static byte[] ConcatColumns(OnnxTensor[] matrices)
    {
        var rows = (int)matrices[0].Dims[0];
        var width = (int)matrices.Sum(m => m.Dims[1]);
        var result = new byte[rows * width];
        var offset = 0;
        foreach (var matrix in matrices)
        {
            var columns = (int)matrix.Dims[1];
            var raw = matrix.Raw!.Value.Span;
            for (var r = 0; r < rows; r++)
            {
                raw.Slice(r * columns, columns).CopyTo(result.AsSpan(r * width + offset, columns));
            }
            offset += columns;
        }
        return result;
    }

    private static byte[] Concat(IEnumerable<OnnxTensor> vectors) => [.. vectors.SelectMany(v => v.Raw!.Value.ToArray())];
}

using KnowledgeQa.Retrieval.Embeddings.Onnx;
using static KnowledgeQa.Retrieval.Embeddings.Onnx.OnnxFields;

namespace KnowledgeQa.Bench;

/// <summary>
/// Graph edits of the int8 model that the variants suite times against the default (docs/quality.md, issue 13,
/// seventh round): candidates that were measured and not adopted, kept so the figures can be measured again.
/// None of them is used by the library.
/// </summary>
internal static class GraphExperiments
{
    public static byte[] Edit(byte[] model, Func<List<OnnxNode>, (Dictionary<int, byte[]> Replace, HashSet<int> Remove)> plan)
    {
        var modelFields = ProtoWire.ReadFields(model);
        var graphFields = ProtoWire.ReadFields(modelFields.Single(f => f.Number == ModelGraph).Payload);
        var nodes = graphFields.Where(f => f.Number == GraphNode).Select(f => OnnxNode.Read(f.Payload)).ToList();
        var (replace, remove) = plan(nodes);
        var writer = new ProtoWire.Writer();
        var index = 0;
        foreach (var field in graphFields)
        {
            if (field.Number == GraphNode)
            {
                var i = index++;
                if (remove.Contains(i))
                    continue;
                if (replace.TryGetValue(i, out var node))
                {
                    writer.Bytes(GraphNode, node);
                    continue;
                }
            }
            writer.Raw(field.Raw);
        }
        return WithGraph(modelFields, writer.ToArray()).ToArray();
    }

    /// <summary>The exported erf GELU (Div, Erf, Add, Mul, Mul) as one com.microsoft op (FastGelu: the tanh form; Gelu: erf).</summary>
    public static byte[] GeluAs(byte[] model, string opType) => Edit(model, nodes =>
    {
        var readers = new Dictionary<string, List<int>>();
        var producer = new Dictionary<string, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var input in nodes[i].Inputs)
                (readers.TryGetValue(input, out var l) ? l : readers[input] = []).Add(i);
            foreach (var output in nodes[i].Outputs)
                producer[output] = i;
        }
        var replace = new Dictionary<int, byte[]>();
        var remove = new HashSet<int>();
        for (var e = 0; e < nodes.Count; e++)
        {
            if (nodes[e].OpType != "Erf")
                continue;
            var div = producer[nodes[e].Inputs[0]];
            var x = nodes[div].Inputs[0];
            var add = readers[nodes[e].Outputs[0]].Single();
            var mul1 = readers[nodes[add].Outputs[0]].Single();
            var mul2 = readers[nodes[mul1].Outputs[0]].Single();
            if (nodes[div].OpType != "Div" || nodes[add].OpType != "Add" || nodes[mul1].OpType != "Mul" || nodes[mul2].OpType != "Mul")
                throw new InvalidOperationException("not the erf GELU pattern");
            remove.UnionWith([div, e, add, mul1]);
            replace[mul2] = NodeBytes($"{nodes[e].Name}_{opType}", opType, MicrosoftDomain, [x], nodes[mul2].Outputs);
        }
        return (replace, remove);
    });
}

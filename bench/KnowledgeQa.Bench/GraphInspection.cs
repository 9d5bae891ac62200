using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Embeddings.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Bench;

/// <summary>
/// Which operators ONNX Runtime runs after its graph optimisation, for the float32 and the int8 model: it shows
/// which fusions (Attention, GELU, LayerNormalization, bias additions) ORT applied to each, and so whether the
/// int8 rewrite blocks one. ORT saves the optimised graph (SessionOptions.OptimizedModelFilePath) to a temporary
/// file, which is read back and counted by operator. Options: --level basic|extended|all (all).
/// </summary>
internal static class GraphInspection
{
    private const int ModelGraph = 7, GraphNode = 1, NodeOpType = 4, NodeDomain = 7;

    public static Task RunAsync(string[] options)
    {
        var level = (BenchArgs.String(options, "--level") ?? "all") switch
        {
            "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        var source = EmbeddingModelSource.Bundled();
        var cache = ModelFileCache.Create(new EmbeddingOptions());
        foreach (var precision in new[] { EmbeddingPrecision.Float32, EmbeddingPrecision.Int8 })
        {
            var model = EmbeddingModelFile.Resolve(source, precision, cache);
            Console.WriteLine($"{precision}: {Count(ReadBytes(model))} (as stored)");
            var saved = Path.Combine(Path.GetTempPath(), $"kqa-bench-graph-{Guid.NewGuid():N}.onnx");
            try
            {
                using (var sessionOptions = new SessionOptions { GraphOptimizationLevel = level, OptimizedModelFilePath = saved })
                using (model.Path is { } path ? new InferenceSession(path, sessionOptions) : new InferenceSession(model.Bytes!, sessionOptions))
                {
                }
                Console.WriteLine($"{precision}: {Count(File.ReadAllBytes(saved))} (after ORT {level})");
                if (options.Contains("--profile"))
                    Profile(model, level, BenchArgs.Int(options, "--threads", 1));
            }
            finally
            {
                File.Delete(saved);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// ONNX Runtime's own profiler on 8 batches of 16 synthetic chunks of about 200 tokens: the share of the run
    /// time each operator type takes.
    /// </summary>
    private static void Profile(EmbeddingModelFile model, GraphOptimizationLevel level, int threads)
    {
        using var generator = new OnnxEmbeddingGenerator(new EmbeddingOptions { Precision = EmbeddingPrecision.Float32 });
        var random = new Random(3);
        var ids = Enumerable.Range(0, 128).Select(_ => generator.EncodeToIds(SyntheticText.Paragraph(random, 190))).ToArray();
        var prefix = Path.Combine(Path.GetTempPath(), $"kqa-bench-profile-{Guid.NewGuid():N}");
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = level, IntraOpNumThreads = threads, EnableProfiling = true, ProfileOutputPathPrefix = prefix,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        using var session = model.Path is { } path ? new InferenceSession(path, sessionOptions) : new InferenceSession(model.Bytes!, sessionOptions);
        var names = session.InputMetadata.Keys.ToArray();
        foreach (var batch in ids.Chunk(16))
        {
            var length = batch.Max(i => i.Length);
            var inputs = names.Select(name => OrtValue.CreateTensorValueFromMemory(
                batch.SelectMany(row => Enumerable.Range(0, length).Select(t => name switch
                {
                    "input_ids" => t < row.Length ? row[t] : 0L,
                    "attention_mask" => t < row.Length ? 1L : 0L,
                    _ => 0L,
                })).ToArray(), new long[] { batch.Length, length })).ToList();
            using var outputs = session.Run(new RunOptions(), names, inputs, ["last_hidden_state"]);
            inputs.ForEach(i => i.Dispose());
        }
        var file = session.EndProfiling();
        try
        {
            var byOp = KernelTimeByOperator(file);
            var total = byOp.Values.Sum();
            Console.WriteLine($"  profile, {threads} thread(s), {total / 1e3:0} ms of kernels: " +
                              string.Join(", ", byOp.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value / total:P1}")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Microseconds of kernel time per operator type in one of ONNX Runtime's profile files.</summary>
    internal static Dictionary<string, double> KernelTimeByOperator(string profileFile)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(profileFile));
        var byOp = new Dictionary<string, double>();
        foreach (var e in json.RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time")
                && e.TryGetProperty("args", out var args) && args.TryGetProperty("op_name", out var op))
                byOp[op.GetString()!] = byOp.GetValueOrDefault(op.GetString()!) + e.GetProperty("dur").GetDouble();
        }
        return byOp;
    }

    private static byte[] ReadBytes(EmbeddingModelFile model) => model.Path is { } path ? File.ReadAllBytes(path) : model.Bytes!;

    /// <summary>"Op x count" for every operator of the graph, most frequent first.</summary>
    private static string Count(byte[] model)
    {
        var graph = ProtoWire.ReadFields(model).First(f => f.Number == ModelGraph);
        var ops = ProtoWire.ReadFields(graph.Payload).Where(f => f.Number == GraphNode)
            .Select(n => ProtoWire.ReadFields(n.Payload))
            .Select(f => (f.FirstOrDefault(x => x.Number == NodeDomain) is { Number: > 0 } d ? d.AsString() + "." : "") +
                         f.First(x => x.Number == NodeOpType).AsString())
            .GroupBy(o => o).OrderByDescending(g => g.Count()).ThenBy(g => g.Key);
        return string.Join(", ", ops.Select(g => $"{g.Key} x{g.Count()}"));
    }
}

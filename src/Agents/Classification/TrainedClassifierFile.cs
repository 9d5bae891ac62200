using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// Saves a trained classifier to one JSON file and loads it back. Weight arrays are base64 of
/// little-endian floats (exact and about a third the size of decimal text); only the n-gram buckets
/// seen in training are stored. The file records the embedding model, and loading with another model
/// is refused: the weights only mean something in the space they were trained in.
/// </summary>
public static class TrainedClassifierFile
{
    public const string Format = "kqa-text-classifier";
    public const int Version = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static async Task SaveAsync(TrainedClassifier classifier, string path, CancellationToken cancellationToken = default)
    {
        var dto = ToDto(classifier);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        // Write beside and move, so an interrupted save never leaves half a model under the real name.
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
            await JsonSerializer.SerializeAsync(stream, dto, Json, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Loads a classifier. <paramref name="generator"/> is required when the classifier uses embeddings
    /// and must be the model it was trained with (checked by model id and dimensions).
    /// </summary>
    public static async Task<TrainedClassifier> LoadAsync(
        string path,
        IEmbeddingGenerator<string, Embedding<float>>? generator,
        CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new ClassifierFileException(path, "no such classifier file; train one with `kqa classify train`.");
        ModelDto? dto;
        try
        {
            await using var stream = File.OpenRead(path);
            dto = await JsonSerializer.DeserializeAsync<ModelDto>(stream, Json, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new ClassifierFileException(path, $"not a classifier file (invalid JSON: {e.Message}).", e);
        }
        if (dto is null || dto.Format != Format)
            throw new ClassifierFileException(path, $"not a classifier file (expected format '{Format}').");
        if (dto.Version != Version)
            throw new ClassifierFileException(path, $"classifier file version {dto.Version} is not supported (this build reads version {Version}).");

        try
        {
            return FromDto(dto, path, generator);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
        {
            throw new ClassifierFileException(path, $"the classifier file is damaged ({e.Message}).", e);
        }
    }

    private static ModelDto ToDto(TrainedClassifier c)
    {
        var classes = c.Labels.Count;
        EmbeddingDto? embedding = null;
        if (c.EmbeddingModel is { } model)
            embedding = new EmbeddingDto(model.ModelId ?? "unknown", c.Model.DenseDimensions, Encode(c.Model.DenseWeights));
        LexicalDto? lexical = null;
        if (c.Lexical is { } lex)
        {
            var buckets = lex.Idf.Keys.Order().ToArray();
            var weights = new float[buckets.Length * classes];
            for (var i = 0; i < buckets.Length; i++)
                Array.Copy(c.Model.SparseWeights, buckets[i] * classes, weights, i * classes, classes);
            lexical = new LexicalDto(lex.Settings, lex.UnseenIdf, Encode(buckets), Encode(buckets.Select(b => lex.Idf[b]).ToArray()), Encode(weights));
        }
        return new ModelDto(Format, Version, c.Labels.ToArray(), embedding, lexical, c.Model.Bias.ToArray(), c.Summary);
    }

    private static TrainedClassifier FromDto(ModelDto dto, string path, IEmbeddingGenerator<string, Embedding<float>>? generator)
    {
        if (dto.Labels is not { Length: >= 2 } labels) throw new ClassifierFileException(path, "the file lists fewer than two labels.");
        var classes = labels.Length;
        if (dto.Bias?.Length != classes) throw new ClassifierFileException(path, "the bias does not match the labels.");

        EmbeddingModelIdentity? identity = null;
        float[]? denseWeights = null;
        if (dto.Embedding is { } e)
        {
            if (generator is null)
                throw new ClassificationException($"{path}: this classifier needs the embedding model '{e.ModelId}' ({e.Dimensions} dimensions); none was given.");
            var current = generator.GetModelIdentity();
            if ((current.ModelId is not null && !string.Equals(current.ModelId, e.ModelId, StringComparison.Ordinal))
                || (current.Dimensions is { } d && d != e.Dimensions))
                throw new EmbeddingModelMismatchException(path, e.ModelId, e.Dimensions, current.ModelId, current.Dimensions);
            denseWeights = DecodeFloats(e.Weights, e.Dimensions * classes);
            identity = new EmbeddingModelIdentity(e.ModelId, e.Dimensions);
        }

        HashedLexicalFeatures? lexical = null;
        int[] buckets = [];
        float[] sparse = [];
        if (dto.Lexical is { } l)
        {
            buckets = Decode<int>(l.Buckets);
            var idf = DecodeFloats(l.Idf, buckets.Length);
            sparse = DecodeFloats(l.Weights, buckets.Length * classes);
            lexical = HashedLexicalFeatures.Restore(l.Settings, buckets.Select((b, i) => (b, idf[i])).ToDictionary(p => p.b, p => p.Item2), l.UnseenIdf);
        }
        if (identity is null && lexical is null) throw new ClassifierFileException(path, "the file has neither embedding nor lexical weights.");

        var model = new SoftmaxRegression(classes, identity?.Dimensions ?? 0, lexical?.Settings.Buckets ?? 0);
        denseWeights?.CopyTo(model.DenseWeights, 0);
        for (var i = 0; i < buckets.Length; i++)
            Array.Copy(sparse, i * classes, model.SparseWeights, buckets[i] * classes, classes);
        dto.Bias.CopyTo(model.Bias, 0);
        var summary = dto.Training ?? new TrainingSummary(0, 0, identity is not null, lexical is not null, 0, 0, 0, null, null, 0);
        return new TrainedClassifier(labels, identity is null ? null : generator, identity, lexical, model, summary);
    }

    private static string Encode<T>(T[] values) where T : struct
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Classifier files are written on little-endian machines only.");
        return Convert.ToBase64String(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static T[] Decode<T>(string base64) where T : struct
        => MemoryMarshal.Cast<byte, T>(Convert.FromBase64String(base64)).ToArray();

    private static float[] DecodeFloats(string base64, int expected)
    {
        var values = Decode<float>(base64);
        if (values.Length != expected) throw new FormatException($"expected {expected} weights, found {values.Length}");
        return values;
    }

    private sealed record ModelDto(string Format, int Version, string[] Labels, EmbeddingDto? Embedding, LexicalDto? Lexical, float[] Bias, TrainingSummary? Training);

    private sealed record EmbeddingDto(string ModelId, int Dimensions, string Weights);

    private sealed record LexicalDto(LexicalFeatureSettings Settings, float UnseenIdf, string Buckets, string Idf, string Weights);
}

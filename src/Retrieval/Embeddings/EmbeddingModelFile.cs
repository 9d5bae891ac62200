using System.Diagnostics;
using KnowledgeQa.Retrieval.Embeddings.Onnx;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// The ONNX model a session loads, in the precision asked for: a file on disk when there is one (a model
/// folder's own file, or a file in the cache), otherwise bytes in memory. <see cref="Name"/> says which
/// variant it is, for the cache names of files derived from it.
/// </summary>
internal sealed class EmbeddingModelFile
{
    private EmbeddingModelFile(string name, string? path, byte[]? bytes, string? cacheFolder, bool created)
    {
        Name = name;
        Path = path;
        Bytes = bytes;
        CacheFolder = cacheFolder;
        Created = created;
    }

    /// <summary>"model" (float32) or "model.int8-…" (with the quantizer's version).</summary>
    public string Name { get; }

    public string? Path { get; }

    public byte[]? Bytes { get; }

    /// <summary>Where files derived from this model may be cached; null when there is no cache.</summary>
    public string? CacheFolder { get; }

    /// <summary>True when this start had to write or derive the model (the first start, or no cache).</summary>
    public bool Created { get; }

    public static EmbeddingModelFile Resolve(EmbeddingModelSource source, EmbeddingPrecision precision, ModelFileCache? cache)
    {
        var folder = cache?.FolderFor(source);
        if (precision == EmbeddingPrecision.Int8)
        {
            var name = $"model.int8-{OnnxInt8Quantizer.Version}";
            if (folder is not null
                && ModelFileCache.GetOrCreate(folder, name + ".onnx", stream => stream.Write(Quantize(source)), out var wrote) is { } path)
            {
                return new EmbeddingModelFile(name, path, null, folder, wrote);
            }
            return new EmbeddingModelFile(name, null, Quantize(source), null, true);
        }

        if (source.ModelFile is { } file)
        {
            return new EmbeddingModelFile("model", file, null, folder, false);
        }
        // The bundled model is a 90 MB resource: copied out once, ONNX Runtime then reads a file, which
        // is faster than copying the resource into a managed array at every start.
        if (folder is not null
            && ModelFileCache.GetOrCreate(folder, "model.onnx", stream => CopyModel(source, stream), out var copied) is { } unpacked)
        {
            return new EmbeddingModelFile("model", unpacked, null, folder, copied);
        }
        return new EmbeddingModelFile("model", null, ReadModel(source), null, false);
    }

    private static void CopyModel(EmbeddingModelSource source, Stream destination)
    {
        using var model = source.OpenModel();
        model.CopyTo(destination);
    }

    private static byte[] ReadModel(EmbeddingModelSource source)
    {
        using var model = source.OpenModel();
        if (model.CanSeek)
        {
            var bytes = new byte[model.Length];
            model.ReadExactly(bytes);
            return bytes;
        }
        using var copy = new MemoryStream();
        model.CopyTo(copy);
        return copy.ToArray();
    }

    private static byte[] Quantize(EmbeddingModelSource source)
    {
        var watch = Stopwatch.StartNew();
        byte[] quantized;
        int rewritten;
        try
        {
            (quantized, rewritten) = OnnxInt8Quantizer.Quantize(ReadModel(source));
        }
        catch (FormatException e)
        {
            throw new EmbeddingModelException(
                $"The embedding model {source.ModelLocation} could not be quantized to int8: it is not a readable ONNX model ({e.Message}). " +
                "Export it again, or set the embedding Precision to Float32.", e);
        }
        if (rewritten == 0)
        {
            throw new EmbeddingModelException(
                $"The embedding model {source.ModelLocation} has no float32 MatMul with constant weights to quantize " +
                "(is it quantized already?). Set the embedding Precision to Float32 to use it as it is.");
        }
        Debug.WriteLine($"quantized {rewritten} MatMuls of {source.ModelId} in {watch.ElapsedMilliseconds} ms");
        return quantized;
    }
}

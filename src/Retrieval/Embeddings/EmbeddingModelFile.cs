using System.Diagnostics;
using KnowledgeQa.Retrieval.Embeddings.Onnx;

namespace KnowledgeQa.Retrieval.Embeddings;

/// <summary>
/// The ONNX model a session loads, in the precision asked for: a file on disk when there is one (a model
/// folder's own file, or a file in the cache), otherwise bytes in memory.
/// </summary>
internal sealed class EmbeddingModelFile
{
    private EmbeddingModelFile(string? path, byte[]? bytes, bool isCacheFile, bool created)
    {
        Path = path;
        Bytes = bytes;
        IsCacheFile = isCacheFile;
        Created = created;
    }

    public string? Path { get; }

    public byte[]? Bytes { get; }

    /// <summary>True when <see cref="Path"/> is a file of the cache (derived, so it may be deleted and derived again).</summary>
    public bool IsCacheFile { get; }

    /// <summary>True when this start had to write or derive the model (the first start, or no cache).</summary>
    public bool Created { get; }

    public static EmbeddingModelFile Resolve(EmbeddingModelSource source, EmbeddingPrecision precision, ModelFileCache? cache)
    {
        var folder = cache?.FolderFor(source);
        if (precision == EmbeddingPrecision.Int8)
        {
            var name = $"model.int8-{OnnxInt8Quantizer.Version}.onnx";
            if (folder is not null && ModelFileCache.GetOrCreate(folder, name, stream => stream.Write(Quantize(source)), out var wrote) is { } path)
            {
                if (wrote)
                {
                    // An earlier quantizer's file is never read again by this version: 20+ MB of disk each.
                    ModelFileCache.DeleteOthers(folder, "model.int8-*.onnx", keep: name);
                }
                return new EmbeddingModelFile(path, null, isCacheFile: true, wrote);
            }
            return new EmbeddingModelFile(null, Quantize(source), isCacheFile: false, true);
        }

        if (source.ModelFile is { } file)
        {
            return new EmbeddingModelFile(file, null, isCacheFile: false, false);
        }
        // The bundled model is a 90 MB resource: copied out once, ONNX Runtime then reads a file, which
        // is faster than copying the resource into a managed array at every start.
        if (folder is not null
            && ModelFileCache.GetOrCreate(folder, "model.onnx", stream => CopyModel(source, stream), out var copied) is { } unpacked)
        {
            return new EmbeddingModelFile(unpacked, null, isCacheFile: true, copied);
        }
        return new EmbeddingModelFile(null, ReadModel(source), isCacheFile: false, false);
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

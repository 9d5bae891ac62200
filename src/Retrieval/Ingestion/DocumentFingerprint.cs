using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// The hash that decides whether a document must be written again: everything that shapes its
/// stored chunks and record (text, structure, title, source, tags, tenant, chunking settings,
/// embedding model). Changing any of them re-ingests; re-running with the same ones writes nothing.
/// </summary>
public static class DocumentFingerprint
{
    public static string Compute(Document document, IReadOnlyList<string> tags, string? tenant, ChunkingOptions chunking, string embeddingModel)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? value)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(value ?? "\u0000"));
            hash.AppendData([0x1f]);
        }

        Add(document.Text);
        foreach (var block in document.Blocks)
            Add($"{block.Kind}:{block.Start}:{block.Length}:{block.HeadingLevel}:{block.Page}");
        Add(document.Title);
        Add(document.Source);
        Add(string.Join('\u001e', tags.Order(StringComparer.Ordinal)));
        Add(tenant);
        Add(chunking.Signature);
        Add(embeddingModel);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>
/// What lets a re-run skip reading a file: <c>FILEHASH/SETTINGS</c>, the SHA-256 of the file's bytes
/// and a hash of what turns bytes into stored chunks (the reader build and options, chunking,
/// embedding model, tenant). The file hash part alone also recognises a renamed file, whose tags
/// then move with it.
/// </summary>
internal static class FileFingerprint
{
    private static readonly Guid ReaderBuild = typeof(DocumentReaderRegistry).Assembly.ManifestModule.ModuleVersionId;

    public static string Settings(ReaderOptions readers, ChunkingOptions chunking, string embeddingModel, string? tenant)
    {
        var text = string.Join('\u001f', ReaderBuild.ToString("N"), JsonSerializer.Serialize(readers),
            chunking.Signature, embeddingModel, tenant ?? "\u0000");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    public static string Combine(string fileHash, string settings) => fileHash + "/" + settings;

    /// <summary>The file hash part of a fingerprint, or null.</summary>
    public static string? FileHashOf(string? fingerprint)
    {
        var slash = fingerprint?.IndexOf('/') ?? -1;
        return slash > 0 ? fingerprint![..slash] : null;
    }
}

using System.Security.Cryptography;
using System.Text;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// The hash that decides whether a document must be written again: everything that shapes its
/// stored chunks (text, structure, title, tags, tenant, chunking settings, embedding model).
/// Changing any of them re-ingests; re-running with the same ones writes nothing.
/// </summary>
public static class DocumentFingerprint
{
    public static string Compute(Document document, IngestionOptions options, ChunkingOptions chunking, string embeddingModel)
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
        Add(string.Join('\u001e', options.Tags.Order(StringComparer.Ordinal)));
        Add(options.Tenant);
        Add(chunking.Signature);
        Add(embeddingModel);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

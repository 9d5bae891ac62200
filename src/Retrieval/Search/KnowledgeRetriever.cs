using System.Diagnostics;
using System.Globalization;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Embeddings;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Retrieval.Search;

/// <summary>
/// Turns a question into what the store searches with: a dense vector (skipped in lexical mode)
/// and query terms (skipped in dense mode). Fusion happens in the store, so Qdrant can do it server-side.
/// </summary>
public sealed class KnowledgeRetriever(
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    ILexicalEncoder lexical,
    IKnowledgeStore store) : IKnowledgeRetriever
{
    public static readonly ActivitySource ActivitySource = new("KnowledgeQa.Search");

    /// <summary>Candidates each side contributes to hybrid fusion, per result asked for.</summary>
    public int CandidatesPerResult { get; init; } = 10;

    /// <summary>
    /// Hybrid search uses the lexical side alone when the embedding model knows less than this share
    /// of the query's tokens (all-MiniLM-L6-v2 on Chinese): fusing a noise ranking in only hurts.
    /// MiniLM knows about a third of the Chinese characters of typical questions, and even at half
    /// known the fused ranking lost to lexical alone on DRCD, hence a high bar.
    /// </summary>
    public double MinDenseVocabularyShare { get; init; } = 0.9;

    /// <summary>
    /// The most passage text one hit carries (cut at a text-element boundary, <see cref="Chunk.End"/>
    /// moved to match). Chunks are bounded when they are made (<c>ChunkingOptions.MaxCharacters</c>),
    /// but a store written by an older version or another chunker can hold chunks of any size, and
    /// every surface (CLI, HTTP, MCP, prompts) takes its passages from here.
    /// </summary>
    public int MaxHitCharacters { get; init; } = DefaultMaxHitCharacters;

    /// <summary>Twice the default chunk limit: real chunks pass whole.</summary>
    public const int DefaultMaxHitCharacters = 4096;

    private readonly IVocabularyCoverage? _coverage = embedder.GetService<IVocabularyCoverage>();
    private readonly string? _modelId = embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId;
    private Task? _modelCheck;

    private SearchHit Bounded(SearchHit hit)
    {
        var text = hit.Chunk.Text;
        if (text.Length <= MaxHitCharacters)
            return hit;
        var length = 0;
        while (length < text.Length)
        {
            var next = StringInfo.GetNextTextElementLength(text, length);
            if (length + next > MaxHitCharacters)
                break;
            length += next;
        }
        if (length == 0)
            length = Math.Min(MaxHitCharacters, text.Length); // one text element over the limit on its own
        return hit with { Chunk = hit.Chunk with { Text = text[..length], End = hit.Chunk.Start + length } };
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, RetrievalOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (options.Top <= 0)
            throw new InvalidOptionException($"top must be at least 1 (got {options.Top}).");
        if (string.IsNullOrWhiteSpace(query))
            return [];

        using var activity = ActivitySource.StartActivity("search");
        var mode = options.Mode;
        if (mode == SearchMode.Hybrid && _coverage?.KnownTokenShare(query) < MinDenseVocabularyShare)
            mode = SearchMode.Lexical;
        activity?.SetTag("kqa.mode", mode.ToString());

        if (mode != SearchMode.Lexical)
            await EnsureSameModelAsync(cancellationToken).ConfigureAwait(false);
        var vector = mode == SearchMode.Lexical
            ? ReadOnlyMemory<float>.Empty
            : (await embedder.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false))[0].Vector;
        var sparse = mode == SearchMode.Dense ? SparseVector.Empty : lexical.EncodeQuery(query);

        var hits = await store.SearchAsync(new StoreQuery
        {
            Vector = vector,
            Sparse = sparse,
            Mode = mode,
            Top = options.Top,
            Filter = options.Filter,
            Candidates = Math.Max(50, options.Top * CandidatesPerResult),
        }, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("kqa.hits", hits.Count);
        return hits.Any(hit => hit.Chunk.Text.Length > MaxHitCharacters) ? hits.Select(Bounded).ToList() : hits;
    }

    /// <summary>
    /// Query vectors must come from the model that embedded the store. The int8 and float32 variants of one
    /// model make vectors of the same size that differ slightly, so the store's size check alone would let
    /// them mix unnoticed; the store's recorded model name is compared once per retriever.
    /// </summary>
    private Task EnsureSameModelAsync(CancellationToken cancellationToken)
    {
        if (_modelId is null)
            return Task.CompletedTask;
        var check = Volatile.Read(ref _modelCheck);
        if (check is null || check.IsFaulted || check.IsCanceled)
        {
            check = CheckModelAsync(cancellationToken);
            Volatile.Write(ref _modelCheck, check);
        }
        return check;
    }

    private async Task CheckModelAsync(CancellationToken cancellationToken)
    {
        var stored = (await store.GetStatisticsAsync(cancellationToken).ConfigureAwait(false)).EmbeddingModel;
        if (stored is null || string.Equals(stored, _modelId, StringComparison.Ordinal))
            return;
        var variants = IsVariantOf(stored, _modelId!) || IsVariantOf(_modelId!, stored);
        throw new KnowledgeStoreException(
            $"The knowledge store was embedded with '{stored}', but queries are embedded with '{_modelId}'. " +
            (variants
                ? $"Set the embedding Precision to {(stored.EndsWith(OnnxEmbeddingGenerator.Int8Suffix, StringComparison.Ordinal) ? "Int8" : "Float32")} " +
                  "(kqa: --embedding-precision; configuration: Embedding:Precision) to query this store, or ingest again into a new store."
                : "Use the embedding model the store was built with (--embedding-model / Embedding:ModelPath), or ingest again into a new store."));
    }

    private static bool IsVariantOf(string candidate, string model) =>
        string.Equals(candidate, model + OnnxEmbeddingGenerator.Int8Suffix, StringComparison.Ordinal);
}

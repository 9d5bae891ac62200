using KnowledgeQa.Retrieval.Embeddings;
using Microsoft.Extensions.AI;
using System.Numerics.Tensors;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Compares the question with every unit of the retrieved passages by embedding both: the
/// sentence-level dense evidence. Skipped when the embedding model cannot read the question
/// (all-MiniLM-L6-v2 on Chinese: its vectors there are noise), so the units keep null scores.
/// </summary>
public sealed class SentenceSimilarity(IEmbeddingGenerator<string, Embedding<float>>? embedder, AnswerOptions options)
{
    // As in hybrid search: below this share of known tokens the model is guessing.
    private const double MinKnownTokenShare = 0.9;

    private readonly IVocabularyCoverage? _coverage = embedder?.GetService<IVocabularyCoverage>();

    /// <summary>Whether sentence embeddings will be used for this question.</summary>
    public bool Applies(QuestionFocus focus) =>
        embedder is not null && options.UseSentenceEmbeddings
        && (!focus.IsCjk || options.UseDenseScoreForCjk)
        && (_coverage is null || _coverage.KnownTokenShare(focus.Question) >= MinKnownTokenShare);

    /// <summary>Fills <see cref="PassageEvidence.UnitDense"/> for every passage; returns whether it did.</summary>
    public Task<bool> ScoreAsync(QuestionEvidence evidence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return ScoreAsync(evidence.Focus, evidence.Passages, cancellationToken);
    }

    /// <summary>Fills <see cref="PassageEvidence.UnitDense"/> for the given passages of the question; returns whether it did.</summary>
    public async Task<bool> ScoreAsync(QuestionFocus focus, IReadOnlyList<PassageEvidence> passages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(focus);
        ArgumentNullException.ThrowIfNull(passages);
        if (!Applies(focus) || passages.Count == 0)
            return false;

        var texts = new List<string> { focus.Question };
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var passage in passages)
        {
            foreach (var unit in passage.Units)
            {
                var text = unit.Display;
                if (index.TryAdd(text, texts.Count))
                    texts.Add(text);
            }
        }

        var vectors = await embedder!.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var question = vectors[0].Vector.Span;
        foreach (var passage in passages)
        {
            for (var u = 0; u < passage.Units.Count; u++)
                passage.UnitDense[u] = TensorPrimitives.CosineSimilarity(question, vectors[index[passage.Units[u].Display]].Vector.Span);
        }

        return true;
    }
}

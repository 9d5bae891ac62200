namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Lexical weights of a text: term ids (stable hashes of normalised terms) with weights, sorted by
/// index, no duplicates. The shape Qdrant's sparse vectors take.
/// </summary>
public sealed record SparseVector(uint[] Indices, float[] Values)
{
    public static SparseVector Empty { get; } = new([], []);

    public int Count => Indices.Length;
}

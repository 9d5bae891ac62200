using System.Collections.Frozen;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>Words too common to say anything about a passage; dropped before weighting.</summary>
internal static class StopWords
{
    /// <summary>Lucene's English stop set: short, and safe for keyword search.</summary>
    public static readonly FrozenSet<string> English = FrozenSet.ToFrozenSet(
    [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
        "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they",
        "this", "to", "was", "will", "with",
    ], StringComparer.Ordinal);

    /// <summary>
    /// Chinese function words and question words (Simplified and Traditional): questions are full
    /// of 什麼/哪 that passages rarely contain, and a rare word in a random passage would otherwise
    /// score high.
    /// </summary>
    public static readonly FrozenSet<string> Chinese = FrozenSet.ToFrozenSet(
    [
        "的", "了", "是", "在", "和", "与", "與", "及", "或", "也", "都", "就", "而", "之", "其", "着", "著",
        "吗", "嗎", "呢", "吧", "啊", "么", "麼", "为", "為", "以", "于", "於", "被", "把", "从", "從", "对", "對",
        "什么", "什麼", "甚么", "甚麼", "哪", "哪个", "哪個", "哪些", "哪里", "哪裡", "哪裏", "哪一", "哪位",
        "谁", "誰", "多少", "几", "幾", "怎么", "怎麼", "怎样", "怎樣", "如何", "为什么", "為什麼", "为何", "為何",
        "何", "何时", "何時", "多久", "多长", "多長", "多远", "多遠", "几时", "幾時", "这", "這", "那", "这个", "這個", "那个", "那個", "有", "个", "個",
    ], StringComparer.Ordinal);
}

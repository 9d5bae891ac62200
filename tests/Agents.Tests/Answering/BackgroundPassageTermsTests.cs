using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>
/// Background passages (hits beyond the candidates, there to weigh the question's terms) are read without
/// their Chinese text when the question has none: the weights stay the same, and jieba's dictionary, most of
/// a cold English `kqa ask` on a bilingual knowledge base, is not loaded for them.
/// </summary>
public sealed class BackgroundPassageTermsTests
{
    private static readonly SearchHit[] Hits =
    [
        Hit("en/charging.md", "A full charge from empty takes about 4.5 hours. Use only the supplied charger."),
        Hit("en/warranty.txt", "The battery is covered for 2 years. A full refund takes 30 days."),
        Hit("zh/charging.md", "充滿電需要約 4.5 小時（full charge）。請只使用隨附的 4 A 充電器。"),
        Hit("zh/warranty.txt", "電池保固兩年，A1 型號的 battery 另有延長保固。"),
    ];

    [Fact]
    public void An_English_question_sends_no_Chinese_background_text_to_the_encoder_and_weighs_its_terms_the_same()
    {
        var encoder = new RecordingLexicalEncoder();
        var terms = new ContentTerms(encoder);
        var focus = new QuestionAnalyzer(terms).Analyze("How long does a full charge of the battery take?", QuestionLanguage.Other);
        encoder.Texts.Clear();

        var evidence = QuestionEvidence.Build(focus, Hits[..2], terms, Hits);

        Assert.DoesNotContain(encoder.Texts, text => text.Any(ScriptDetector.IsHan));
        // The same four passages all read in full (as candidates) weigh every question term alike.
        var full = QuestionEvidence.Build(focus, Hits, new ContentTerms(new Bm25SparseEncoder()));
        Assert.NotEmpty(focus.Terms);
        // Equal weights also mean the Latin words inside the Chinese passages ("full charge", "battery") still count.
        Assert.All(focus.Terms, term => Assert.Equal(full.Weight(term), evidence.Weight(term), 12));
    }

    [Fact]
    public void A_Chinese_question_still_reads_the_Chinese_background_text()
    {
        var encoder = new RecordingLexicalEncoder();
        var terms = new ContentTerms(encoder);
        var focus = new QuestionAnalyzer(terms).Analyze("充電需要多久？", QuestionLanguage.ChineseTraditional);
        encoder.Texts.Clear();

        var evidence = QuestionEvidence.Build(focus, Hits[..2], terms, Hits);

        Assert.Contains(encoder.Texts, text => text.Contains("充滿電", StringComparison.Ordinal));
        var full = QuestionEvidence.Build(focus, Hits, new ContentTerms(new Bm25SparseEncoder()));
        Assert.All(focus.Terms, term => Assert.Equal(full.Weight(term), evidence.Weight(term), 12));
    }

    private static SearchHit Hit(string id, string text) => new()
    {
        Chunk = new Chunk { Id = Chunk.CreateId(id, 0, text), DocumentId = id, Index = 0, Text = text, Start = 0, End = text.Length },
        Source = id,
        Score = 1,
    };
}

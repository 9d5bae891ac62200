using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>
/// The lexical relevance model keeps one threshold for Simplified Chinese questions and another for
/// the rest: the question's own characters pick it, and a question that does not tell its script
/// (no telling character, or as many of each) keeps the shared one.
/// </summary>
public sealed class ScriptThresholdTests
{
    private static readonly ContentTerms Terms = new(new Bm25SparseEncoder());

    private static readonly SearchHit[] Stores =
    [
        FakeRetriever.Hit("zh/stores.md", "台北旗艦店位於信義區松仁路 88 號，營業時間為週二至週日上午十一點到晚上八點。門市提供試騎、定期保養與保固維修。"),
    ];

    // Every passage passes at the shared threshold (0) and none at the Simplified one (above any probability).
    private static readonly RelevanceFilter Filter = new(new AnswerOptions
    {
        LexicalRelevance = RelevanceModel.LexicalOnly with { Threshold = 0, SimplifiedThreshold = 1.01 },
    });

    [Theory]
    [InlineData("台北有門市嗎？", ChineseScript.Traditional, true)]
    [InlineData("台北有门市吗？", ChineseScript.Simplified, false)]
    [InlineData("台北店在哪里？", ChineseScript.Unknown, true)]
    [InlineData("台北門市吗？", ChineseScript.Unknown, true)]
    public void The_threshold_follows_the_question_script(string question, ChineseScript script, bool relevant)
    {
        Assert.Equal(script, LanguageDetector.DetectChineseScript(question));

        var decision = Assess(question);

        Assert.True(decision.Features.BestUnit >= 0);
        Assert.Equal(relevant, decision.IsRelevant);
        Assert.Contains(relevant ? ">= 0.00" : "< 1.01", decision.Reason);
    }

    [Fact]
    public void A_model_without_a_Simplified_threshold_uses_its_one_threshold_for_every_script()
    {
        var model = RelevanceModel.LexicalOnly with { Threshold = 0.2, SimplifiedThreshold = null };

        Assert.Equal(0.2, model.ThresholdFor("台北有门市吗？"));
        Assert.Equal(0.2, model.ThresholdFor("台北有門市嗎？"));
        Assert.DoesNotContain("SimplifiedThreshold", model.ToCSharp("LexicalOnly"));
        Assert.Contains("SimplifiedThreshold = 0.3", (model with { SimplifiedThreshold = 0.3 }).ToCSharp("LexicalOnly"));
    }

    [Fact]
    public void The_shipped_lexical_model_holds_Simplified_questions_to_their_own_threshold()
    {
        var model = RelevanceModel.LexicalOnly;

        Assert.NotNull(model.SimplifiedThreshold);
        Assert.Equal(model.SimplifiedThreshold, model.ThresholdFor("电池充满电需要多久？"));
        Assert.Equal(model.Threshold, model.ThresholdFor("電池充滿電需要多久？"));
        Assert.Null(RelevanceModel.WithDense.SimplifiedThreshold);
    }

    private static PassageRelevance Assess(string question)
    {
        var language = LanguageDetector.Detect(question);
        var focus = new QuestionAnalyzer(Terms).Analyze(question, language);
        return Filter.AssessAll(QuestionEvidence.Build(focus, Stores, Terms))[0];
    }
}

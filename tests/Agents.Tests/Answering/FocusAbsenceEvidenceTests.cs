using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>
/// Evidence that the question's focus is absent: the part of the question that no retrieved passage
/// holds (a place the stores are not in, a property the documents never give), and whether the
/// asked-for kind of fact stands anywhere in a passage.
/// </summary>
public sealed class FocusAbsenceEvidenceTests
{
    private static readonly ContentTerms Terms = new(new Bm25SparseEncoder());
    private static readonly RelevanceFilter Filter = new(new AnswerOptions());

    private static readonly SearchHit[] Stores =
    [
        FakeRetriever.Hit("zh/stores.md", "台北旗艦店位於信義區松仁路 88 號，營業時間為週二至週日上午十一點到晚上八點。門市提供試騎、定期保養與保固維修。"),
        FakeRetriever.Hit("zh/stores2.md", "高雄門市位於前鎮區，週一公休。"),
    ];

    private static readonly SearchHit[] Bike =
    [
        FakeRetriever.Hit("en/guide.md", "The Aurora A1 is a city electric bicycle with a 250 W rear hub motor and a 504 Wh removable battery. A full charge takes 4.5 hours."),
    ];

    [Fact]
    public void A_place_no_passage_mentions_counts_as_absent_and_one_they_mention_does_not()
    {
        var absent = Assess("台中有門市嗎？", QuestionLanguage.ChineseTraditional, Stores);
        var present = Assess("台北有門市嗎？", QuestionLanguage.ChineseTraditional, Stores);

        Assert.True(absent.Features.AbsentTerms > 0.3, $"absent share {absent.Features.AbsentTerms}");
        Assert.True(absent.Features.AbsentBigrams > 0);
        Assert.True(absent.Features.MissingFocus > 0);
        Assert.Contains("台中", absent.MissingTerms);
        Assert.Equal(0, present.Features.AbsentTerms);
        Assert.Equal(0, present.Features.MissingFocus);
        Assert.Contains("in no retrieved passage", absent.Reason);
    }

    [Fact]
    public void A_kind_of_fact_nowhere_in_the_passage_is_told_apart_from_one_it_holds()
    {
        var weight = Assess("How much does the Aurora A1 weigh?", QuestionLanguage.Other, Bike);
        var duration = Assess("How long does a full charge of the Aurora A1 take?", QuestionLanguage.Other, Bike);

        Assert.True(weight.Features.KindNowhere);
        Assert.Contains("no weight anywhere in the passage", weight.Reason);
        Assert.False(duration.Features.KindNowhere);
        Assert.True(duration.Features.KindFound);
    }

    [Fact]
    public void The_focus_features_reach_the_model_inputs()
    {
        var features = Assess("台中有門市嗎？", QuestionLanguage.ChineseTraditional, Stores).Features;
        var inputs = RelevanceModel.Inputs(features);

        Assert.Equal(features.AbsentTerms, inputs[RelevanceModel.WeightNames.ToList().IndexOf(nameof(RelevanceModel.AbsentTerms))]);
        Assert.Equal(features.MissingFocus, inputs[RelevanceModel.WeightNames.ToList().IndexOf(nameof(RelevanceModel.MissingFocus))]);
    }

    [Fact]
    public void A_Chinese_word_whose_characters_stand_apart_in_order_is_found_and_one_out_of_order_is_not()
    {
        var charging = new[] { FakeRetriever.Hit("zh/battery.md", "從沒電充到全滿大約需要四個半小時。") };
        var focus = new QuestionAnalyzer(Terms).Analyze("電池充滿電需要多久？", QuestionLanguage.ChineseTraditional);
        var evidence = QuestionEvidence.Build(focus, charging, Terms);
        var passage = evidence.Passages[0];

        // 充滿 is split by 到全 (two characters): the paraphrase still holds it.
        Assert.Contains("充满", focus.Terms);
        Assert.True(passage.UnitHas(0, "充满"));
        Assert.DoesNotContain("充满", evidence.MissingTerms(passage));
        // 满充 would need the characters the other way round; 充全 ... 时 too far apart.
        Assert.False(passage.Has("满充"));
        Assert.False(passage.Has("充时"));
    }

    private static PassageRelevance Assess(string question, QuestionLanguage language, SearchHit[] hits)
    {
        var focus = new QuestionAnalyzer(Terms).Analyze(question, language);
        var evidence = QuestionEvidence.Build(focus, hits, Terms);
        return Filter.AssessAll(evidence)[0];
    }
}

using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Evaluation;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Agents.Tests.Chat;
using KnowledgeQa.Agents.Tests.Fakes;

namespace KnowledgeQa.Agents.Tests.Evaluation;

public class RelevanceFitterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RelevanceFeatures Passage(double coverage, bool? kind = null) =>
        new(coverage, coverage, 1, kind, null, null, BestUnit: 0, coverage, coverage / 2, TermCount: 3, IsTop: false);

    [Fact]
    public void The_fitted_model_weighs_coverage_up_and_its_threshold_keeps_false_refusals_within_the_target()
    {
        var random = new Random(7);
        var samples = Enumerable.Range(0, 400).Select(i =>
        {
            var answering = Passage(0.55 + 0.45 * random.NextDouble(), kind: random.NextDouble() < 0.8);
            var others = Enumerable.Range(0, 5).Select(_ => Passage(0.6 * random.NextDouble(), kind: random.NextDouble() < 0.3)).ToList();
            return new RelevanceSample(i % 2 == 0 ? "a" : "b", $"q{i}", ContextInStore: true, [new LabelledPassage(true, answering)], others);
        }).ToList();

        var fitted = RelevanceFitter.Fit("LexicalOnly", samples, targetFalseRefusals: 0.03);

        Assert.True(fitted.Model.Coverage + fitted.Model.BestUnitCoverage > 0);
        Assert.True(fitted.Model.KindFound > fitted.Model.KindMissing);
        Assert.Equal(0, fitted.Model.Dense);
        Assert.All(fitted.Chosen.Values, p => Assert.InRange(p.FalseRefusals, 0, 0.03));
        // Well-separated data: most questions without their context are refused at that threshold.
        Assert.All(fitted.Chosen.Values, p => Assert.True(p.HeldOutRefused > 0.5, $"refused {p.HeldOutRefused:P0}"));
        Assert.Contains("| a, chosen |", RelevanceFitter.Describe(fitted));
    }

    [Fact]
    public void A_model_round_trips_through_its_weights_and_its_printed_form_names_every_weight()
    {
        var model = RelevanceModel.LexicalOnly;
        var copy = RelevanceModel.FromWeights(model.Weights, model.Bias, model.Threshold);
        var features = Passage(0.7, kind: true) with { BigramCoverage = 0.5, Lead = 0.2 };

        Assert.Equal(model.Probability(features), copy.Probability(features), 12);
        Assert.Equal(RelevanceModel.WeightNames.Count, RelevanceModel.Inputs(features).Length);
        var code = model.ToCSharp("LexicalOnly");
        Assert.All(RelevanceModel.WeightNames, name => Assert.Contains(name + " = ", code));
        Assert.Contains("Threshold = ", code);
    }

    [Fact]
    public void Writing_one_refitted_model_replaces_its_initialiser_and_keeps_the_other()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kqa-fitted-{Guid.NewGuid():N}.cs");
        var source = "class X\n{\n    // FITTED-BEGIN\n" + RelevanceModel.WithDense.ToCSharp("WithDense") + "\n"
                     + RelevanceModel.LexicalOnly.ToCSharp("LexicalOnly") + "    // FITTED-END\n}\n";
        File.WriteAllText(path, source);
        try
        {
            var refit = RelevanceModel.LexicalOnly with { Bias = -1.234, Threshold = 0.123 };
            var fitted = new FittedRelevance("LexicalOnly", refit, 1, 1, new Dictionary<string, IReadOnlyList<RefusalPoint>>(), new Dictionary<string, RefusalPoint>());

            RelevanceFitter.WriteSource(path, [fitted]);

            var written = File.ReadAllText(path);
            Assert.Contains(RelevanceModel.WithDense.ToCSharp("WithDense"), written);
            Assert.Contains(refit.ToCSharp("LexicalOnly"), written);
            Assert.DoesNotContain(RelevanceModel.LexicalOnly.ToCSharp("LexicalOnly"), written);
            Assert.EndsWith("    // FITTED-END\n}\n", written);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Simplified_questions_get_their_own_threshold_at_the_same_target_and_it_survives_saving()
    {
        // The Simplified set's answering passages score higher than the Traditional set's, so the shared
        // threshold, bound by the Traditional set, leaves the Simplified one far under the target.
        var random = new Random(11);
        RelevanceSample Sample(int i, string set, ChineseScript script, double low)
        {
            var answering = Passage(low + (1 - low) * random.NextDouble());
            var others = Enumerable.Range(0, 5).Select(_ => Passage(0.7 * random.NextDouble())).ToList();
            return new RelevanceSample(set, $"{set}{i}", ContextInStore: true, [new LabelledPassage(true, answering)], others, script);
        }

        var samples = Enumerable.Range(0, 400).Select(i => Sample(i, "simplified", ChineseScript.Simplified, 0.55))
            .Concat(Enumerable.Range(0, 400).Select(i => Sample(i, "traditional", ChineseScript.Traditional, 0.2)))
            .ToList();
        var shared = RelevanceFitter.Fit("LexicalOnly", samples.Select(s => s with { Script = ChineseScript.Unknown }).ToList(), 0.03);

        var fitted = RelevanceFitter.Fit("LexicalOnly", samples, targetFalseRefusals: 0.03);

        Assert.NotNull(fitted.Model.SimplifiedThreshold);
        Assert.True(fitted.Model.SimplifiedThreshold > fitted.Model.Threshold, $"{fitted.Model.SimplifiedThreshold} vs {fitted.Model.Threshold}");
        Assert.Null(shared.Model.SimplifiedThreshold);
        Assert.All(fitted.Chosen.Values, p => Assert.InRange(p.FalseRefusals, 0, 0.03));
        Assert.True(fitted.Chosen["simplified"].HeldOutRefused > shared.Chosen["simplified"].HeldOutRefused,
            $"{fitted.Chosen["simplified"].HeldOutRefused:P1} vs {shared.Chosen["simplified"].HeldOutRefused:P1}");
        Assert.Equal(shared.Chosen["traditional"], fitted.Chosen["traditional"]);
        Assert.Contains("for Simplified Chinese questions", RelevanceFitter.Describe(fitted));

        var path = Path.Combine(Path.GetTempPath(), $"kqa-samples-{Guid.NewGuid():N}.jsonl");
        try
        {
            RelevanceFitter.Save(path, samples);
            Assert.Equal(samples.Select(s => s.Script), RelevanceFitter.Load(path).Select(s => s.Script));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Fitting_without_any_answering_passage_is_a_clear_error()
    {
        var samples = new[] { new RelevanceSample("a", "q1", true, [], [Passage(0.2)]) };

        var error = Assert.Throws<EvaluationDataException>(() => RelevanceFitter.Fit("LexicalOnly", samples, 0.03));

        Assert.Contains("passages that answer", error.Message);
    }

    [Fact]
    public async Task Samples_label_the_own_context_passage_that_holds_the_answer_and_leave_it_out_of_the_negatives()
    {
        using var temp = new TempDirectory();
        File.WriteAllLines(Path.Combine(temp.Path, "contexts.jsonl"),
        [
            """{"id": "tower#0", "title": "Eiffel Tower", "text": "The Eiffel Tower stands in Paris. It was completed in 1889 for the World's Fair."}""",
            """{"id": "bridge#0", "title": "Golden Gate", "text": "The Golden Gate Bridge spans the strait. The bridge opened to traffic in 1937."}""",
        ]);
        File.WriteAllLines(Path.Combine(temp.Path, "questions.jsonl"),
        [
            """{"id": "q1", "question": "When was the Eiffel Tower completed?", "context_id": "tower#0", "answers": [{"text": "1889", "answer_start": 0}]}""",
            """{"id": "q2", "question": "Did the Golden Gate Bridge open before the tower in Paris?", "context_id": "bridge#0", "answers": [{"text": "1937", "answer_start": 0}]}""",
        ]);
        var dataset = QaDataset.Load(temp.Path);
        var notInStore = new HashSet<string> { "bridge#0" };
        var retriever = new OverlapRetriever(dataset.ToDocuments(notInStore));
        var fitter = new RelevanceFitter(retriever, new GroundedAnswerer(retriever, null, new SimpleLexicalEncoder()));

        var samples = await fitter.CollectAsync(dataset, notInStore, top: 5, cancellationToken: Ct);

        var tower = samples.Single(s => s.QuestionId == "q1");
        Assert.True(tower.ContextInStore);
        Assert.Contains(tower.Own, p => p.Answers);
        Assert.Empty(tower.Without);
        var bridge = samples.Single(s => s.QuestionId == "q2");
        Assert.False(bridge.ContextInStore);
        Assert.Empty(bridge.Own);
        Assert.NotEmpty(bridge.Without);
    }
}

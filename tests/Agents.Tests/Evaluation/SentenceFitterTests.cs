using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Evaluation;

namespace KnowledgeQa.Agents.Tests.Evaluation;

public class SentenceFitterTests
{
    private static LabelledSentence Sentence(bool gold, double own, double coverage, int passage, int start) => new(
        gold, new SentenceFeatures { Coverage = coverage, Stated = own, Own = own, Length = 60, PassageRank = passage - 1 },
        passage, [new TextRange(start, 60)], Chars: 60) { Text = $"sentence {passage}:{start}" };

    /// <summary>
    /// Questions where the sentence with the answer holds more of the question itself (Own) but its
    /// neighbours share as much coverage counted from around them: a model that reads only coverage
    /// cannot tell them apart, a fitted one can.
    /// </summary>
    private static List<SentenceSample> Samples(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var candidates = new List<LabelledSentence> { Sentence(true, 0.5 + 0.5 * random.NextDouble(), 0.6, passage: 1, start: 0) };
            candidates.AddRange(Enumerable.Range(1, 4).Select(k => Sentence(false, 0.45 * random.NextDouble(), 0.6 + 0.2 * random.NextDouble(), passage: 1 + k % 2, start: 100 * k)));
            return new SentenceSample("set", $"q{i}", Dense: false, candidates) { Question = $"question {i}" };
        }).ToList();
    }

    [Fact]
    public void The_fitted_model_puts_the_sentence_with_the_answer_first_and_the_measure_says_so()
    {
        var samples = Samples(300, seed: 3);
        var before = SentenceFitter.Measure(samples, new AnswerOptions { LexicalExtraction = new ExtractiveScoring { Coverage = 1 } }).Single();

        var fitted = SentenceFitter.Fit("LexicalOnly", samples);
        var after = SentenceFitter.Measure(samples, new AnswerOptions { LexicalExtraction = fitted.Model }).Single();

        Assert.True(fitted.Model.Own > 0, $"Own weight {fitted.Model.Own}");
        Assert.Equal(300, fitted.Positives);
        Assert.True(before.GoldInBest < 0.5, $"coverage alone: {before.GoldInBest:P0}");
        Assert.True(after.GoldInBest > 0.95, $"fitted: {after.GoldInBest:P0}");
        Assert.True(after.GoldInAnswer >= after.GoldInBest);
        Assert.Equal(1.0, after.Reachable / (double)after.Questions);
        Assert.Empty(SentenceFitter.Misses(samples, new AnswerOptions { LexicalExtraction = fitted.Model, MaxExtractiveSentences = 1 }, 10)
            .Where((_, i) => i >= 300 * 0.05));
        Assert.Contains("| set | 300 |", SentenceFitter.Describe("fitted", [after]));
    }

    [Fact]
    public void Measuring_on_fewer_passages_leaves_out_the_later_passages_sentences()
    {
        var samples = Samples(50, seed: 5);
        var within = SentenceFitter.Within(samples, passages: 1);

        Assert.All(within, s => Assert.All(s.Candidates, c => Assert.Equal(1, c.PassageNumber)));
        // Gaps are to the best candidate that is left.
        Assert.All(within, s => Assert.Equal(0, s.Candidates.Min(c => c.Features.CoverageGap), 12));
    }

    [Fact]
    public void A_sentence_without_the_asked_for_kind_is_marked_only_when_another_candidate_holds_it()
    {
        SentenceFeatures[] withDuration = [new() { KindFound = false }, new() { KindFound = true }, new() { KindFound = null }];
        SentenceFeatures[] withoutDuration = [new() { KindFound = false }, new() { KindFound = false }];

        Assert.Equal([true, false, false], SentenceFeatures.Relative(withDuration).Select(f => f.KindElsewhere));
        Assert.All(SentenceFeatures.Relative(withoutDuration), f => Assert.False(f.KindElsewhere));
        // The fitted lexical models weigh it: a sentence that only repeats the question's words loses to the one that states the fact.
        Assert.True(ExtractiveScoring.LexicalOnly.KindElsewhere < 0);
        Assert.True(ExtractiveScoring.LexicalSimplified.KindElsewhere < 0);
    }

    [Fact]
    public void A_model_round_trips_through_its_weights_and_the_writer_replaces_only_its_initialiser()
    {
        var model = ExtractiveScoring.LexicalOnly;
        var copy = ExtractiveScoring.FromWeights(model.Weights, model.Bias);
        var features = new SentenceFeatures { Coverage = 0.7, Own = 0.5, KindFound = true, WeightedBigramCoverage = 0.4, Length = 40, CoverageGap = 0.1 };
        Assert.Equal(model.Probability(features), copy.Probability(features), 12);
        Assert.Equal(ExtractiveScoring.WeightNames.Count, ExtractiveScoring.Inputs(features).Length);

        var path = Path.Combine(Path.GetTempPath(), $"kqa-sentences-{Guid.NewGuid():N}.cs");
        File.WriteAllText(path, "class X\n{\n    // FITTED-BEGIN\n" + ExtractiveScoring.WithDense.ToCSharp("WithDense") + "\n"
                                + ExtractiveScoring.LexicalOnly.ToCSharp("LexicalOnly") + "    // FITTED-END\n}\n");
        try
        {
            var refit = new FittedSentences("LexicalOnly", ExtractiveScoring.FromWeights(Enumerable.Repeat(0.25, ExtractiveScoring.WeightNames.Count).ToList(), -1.5), 1, 1);
            SentenceFitter.WriteSource(path, [refit]);
            var written = File.ReadAllText(path);

            Assert.Contains(ExtractiveScoring.WithDense.ToCSharp("WithDense"), written);
            Assert.Contains(refit.Model.ToCSharp("LexicalOnly"), written);
            Assert.DoesNotContain(ExtractiveScoring.LexicalOnly.ToCSharp("LexicalOnly"), written);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

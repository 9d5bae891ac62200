using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;
using static KnowledgeQa.Agents.Tests.Fakes.FakeRetriever;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>
/// Without sentence embeddings a Simplified Chinese question is scored by its own sentence model
/// (<see cref="AnswerOptions.SimplifiedExtraction"/>); Traditional questions, and those whose script cannot be told, by the shared one.
/// </summary>
public sealed class ScriptSentenceModelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Two sentences about the same store, one short and one long: one model takes the longer, the other the shorter.
    private const string Store = "台北門市在信義區。台北門市提供試騎、定期保養與保固維修，週二至週日營業。";

    private static readonly AnswerOptions Options = new()
    {
        LexicalExtraction = new ExtractiveScoring { Length = -3 },
        SimplifiedExtraction = new ExtractiveScoring { Length = 3 },
        MaxExtractiveSentences = 1,
    };

    [Theory]
    [InlineData("台北门市在哪里？", ChineseScript.Simplified, "提供試騎")]
    [InlineData("台北門市在哪裡？", ChineseScript.Traditional, "在信義區")]
    public async Task The_question_script_picks_the_sentence_model(string question, ChineseScript script, string expected)
    {
        Assert.Equal(script, LanguageDetector.DetectChineseScript(question));
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("zh/stores.md", Store)), chatClient: null, new SimpleLexicalEncoder(), Options);

        var answer = await answerer.AskAsync(question, cancellationToken: Ct);

        Assert.Contains(expected, answer.Text);
    }

    [Fact]
    public void Without_a_Simplified_model_every_script_uses_the_shared_one()
    {
        var options = Options with { SimplifiedExtraction = null };

        Assert.Same(options.LexicalExtraction, options.ExtractionFor(dense: false, ChineseScript.Simplified));
        Assert.Same(options.DenseExtraction, Options.ExtractionFor(dense: true, ChineseScript.Simplified));
        Assert.Same(ExtractiveScoring.LexicalSimplified, new AnswerOptions().ExtractionFor(dense: false, ChineseScript.Simplified));
    }
}

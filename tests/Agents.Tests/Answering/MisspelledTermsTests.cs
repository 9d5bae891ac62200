using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>A question's misspelled word is read as the word the best-ranked passage spells one edit away.</summary>
public sealed class MisspelledTermsTests
{
    private static readonly ContentTerms Terms = new(new Bm25SparseEncoder());

    private static readonly SearchHit[] Ctenophores =
    [
        FakeRetriever.Hit("ctenophora.md", "The coastal beroids lack tentacles and prey on other ctenophores with huge mouths armed with stiffened cilia that act as teeth."),
        FakeRetriever.Hit("geology.md", "The Cambrian period saw the first animals with hard shells; each period is a span of the geologic time scale."),
    ];

    private static QuestionEvidence Evidence(string question, IReadOnlyList<SearchHit> hits) =>
        QuestionEvidence.Build(new QuestionAnalyzer(Terms).Analyze(question, QuestionLanguage.Other), hits, Terms);

    [Theory]
    [InlineData("beriods", "beroids", true)]   // two neighbours swapped
    [InlineData("septicemia", "septicaemia", true)]
    [InlineData("ctenohores", "ctenophores", true)]
    [InlineData("beriods", "periods", true)]
    [InlineData("beroids", "beroids", false)]
    [InlineData("beriods", "periodic", false)]
    public void One_edit_is_an_insertion_a_deletion_a_change_or_a_swap(string a, string b, bool near) =>
        Assert.Equal(near, MisspelledTerms.OneEditApart(a, b));

    [Fact]
    public void A_word_no_passage_holds_is_read_as_the_best_ranked_passages_spelling()
    {
        // "period" in the second passage is one edit away as well; the first passage, which the search put on top, wins.
        var evidence = Evidence("What do Beriods use as teeth?", Ctenophores);

        Assert.Contains(Terms.Of("beroids").Single(), evidence.Focus.Terms);
        Assert.DoesNotContain(Terms.Of("Beriods").Single(), evidence.Focus.Terms);
        Assert.Empty(evidence.MissingTerms(evidence.Passages[0]));
    }

    [Fact]
    public void Short_words_and_words_a_passage_holds_are_left_as_asked()
    {
        // "arms" / "army": a short word one edit from another is more often a different word than a typo.
        var evidence = Evidence("Which arms did the beroids use?", [FakeRetriever.Hit("army.md", "The beroids army used stiffened cilia.")]);

        Assert.Contains(Terms.Of("arms").Single(), evidence.Focus.Terms);
        Assert.Contains(Terms.Of("beroids").Single(), evidence.Focus.Terms);
    }
}

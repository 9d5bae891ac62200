using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Tests.Text;

public sealed class ContentTermsTests
{
    [Fact]
    public void English_text_never_sends_Chinese_to_the_encoder()
    {
        // Segmenting Chinese loads jieba's dictionary, most of a second of every English `kqa ask`.
        var encoder = new RecordingLexicalEncoder();
        var terms = new ContentTerms(encoder);

        var content = terms.Of("How long does a full charge of the battery take?");

        Assert.Equal(["long", "full", "charg", "batteri", "take"], content);
        Assert.DoesNotContain(encoder.Texts, text => text.Any(c => c > '\u2E80'));
    }

    [Fact]
    public void Chinese_stop_words_are_still_removed_once_Chinese_text_comes()
    {
        var encoder = new RecordingLexicalEncoder();
        var terms = new ContentTerms(encoder);

        var content = terms.Of("电池的保固是多少年");

        Assert.Contains("电池", content);
        Assert.DoesNotContain("的", content);
        Assert.DoesNotContain("多少", content);
        Assert.Contains(encoder.Texts, text => text == "什么"); // the Chinese stop list went through the encoder
    }

    [Fact]
    public void A_word_jieba_glued_from_a_modal_and_a_verb_stands_for_the_verb_alone()
    {
        // jieba's HMM cuts 电池要充多久 into 电池 / 要充 / 多久: no passage holds 要充, while the charging one says 充电.
        var terms = new ContentTerms(new Bm25SparseEncoder());

        var content = terms.OfQuestion("電池要充多久");

        Assert.Contains("充", content);
        Assert.DoesNotContain("要充", content);
        Assert.Contains("电池", content);
    }

    [Fact]
    public void The_glued_word_stays_when_search_does_not_back_off_lone_characters()
    {
        var terms = new ContentTerms(new Bm25SparseEncoder(new Bm25Options { BackOffLoneChineseCharacters = false }));

        Assert.Contains("要充", terms.OfQuestion("電池要充多久"));
    }

    [Theory]
    [InlineData("勉语还可以叫什么语？", "勉语")]
    [InlineData("魔岩唱片中「魔」的由来？", "魔岩")]
    public void A_word_without_a_function_character_stays_whole_beside_a_lone_character_it_holds(string question, string word)
    {
        // The lone 语 and 魔 back off on their own; the names 勉语 and 魔岩 are what the question is about.
        Assert.Contains(word, new ContentTerms(new Bm25SparseEncoder()).OfQuestion(question));
    }
}

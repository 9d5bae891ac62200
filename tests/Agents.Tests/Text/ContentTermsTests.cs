using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;

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
}

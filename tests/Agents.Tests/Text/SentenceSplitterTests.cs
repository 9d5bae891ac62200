using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Tests.Text;

public class SentenceSplitterTests
{
    private static string[] Split(string text) => SentenceSplitter.Split(text).Select(s => s.Text).ToArray();

    [Fact]
    public void Splits_latin_sentences_at_end_marks_followed_by_space()
    {
        Assert.Equal(["It rains.", "Does it?", "Yes!"], Split("It rains. Does it? Yes!"));
    }

    [Fact]
    public void Keeps_numbers_initials_and_abbreviations_inside_the_sentence()
    {
        Assert.Equal(["Version 3.5 was written by J. R. R. Tolkien, e.g. in the U.S. today.", "Next."],
            Split("Version 3.5 was written by J. R. R. Tolkien, e.g. in the U.S. today. Next."));
    }

    [Fact]
    public void Splits_chinese_at_full_width_end_marks_keeping_closing_quotes()
    {
        Assert.Equal(["他说：「走吧。」", "我们走了！", "你呢？", "好；", "再见"], Split("他说：「走吧。」我们走了！你呢？好；再见"));
    }

    [Fact]
    public void Splits_at_line_breaks_and_reports_spans()
    {
        var text = "Title line\n\nFirst sentence. Second one.";
        var sentences = SentenceSplitter.Split(text);

        Assert.Equal(["Title line", "First sentence.", "Second one."], sentences.Select(s => s.Text));
        Assert.All(sentences, s => Assert.Equal(s.Text, text.Substring(s.Start, s.Length)));
    }

    [Fact]
    public void A_chinese_end_mark_inside_a_short_bracket_does_not_end_the_sentence()
    {
        Assert.Equal(["伊维卡·奥利奇（，；），克罗地亚足球运动员，司职前锋。", "他出生于克罗地亚。"],
            Split("伊维卡·奥利奇（，；），克罗地亚足球运动员，司职前锋。他出生于克罗地亚。"));
        // A bracket that does not close soon is not a gloss: its marks still end sentences.
        Assert.Equal(["（未完。", "下一句。"], Split("（未完。下一句。"));
    }

    [Fact]
    public void A_period_before_a_lowercase_word_does_not_end_the_sentence()
    {
        Assert.Equal(["They were ancestral to the strains Y. p. orientalis and Y. p. medievalis.", "Next."],
            Split("They were ancestral to the strains Y. p. orientalis and Y. p. medievalis. Next."));
    }
}

using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Tests.Text;

public class LanguageDetectorTests
{
    [Theory]
    [InlineData("How do I reset the router?", QuestionLanguage.Other)]
    [InlineData("Wie setze ich den Router zurück?", QuestionLanguage.Other)]
    [InlineData("What does 你好 mean in English?", QuestionLanguage.Other)]
    [InlineData("怎么重置路由器？", QuestionLanguage.ChineseSimplified)]
    [InlineData("梵文在哪个国家被广泛使用？", QuestionLanguage.ChineseSimplified)]
    [InlineData("如何重設路由器？", QuestionLanguage.ChineseTraditional)]
    [InlineData("台北101的高度是多少？這棟大樓何時完工？", QuestionLanguage.ChineseTraditional)]
    [InlineData("ルーターをリセットするには？", QuestionLanguage.Japanese)]
    [InlineData("라우터를 어떻게 재설정하나요?", QuestionLanguage.Korean)]
    public void Detects_the_language_of_the_question(string question, QuestionLanguage expected)
    {
        Assert.Equal(expected, LanguageDetector.Detect(question));
    }

    [Fact]
    public void The_context_decides_the_chinese_script_when_the_question_does_not()
    {
        // 梵文 is written the same in both scripts.
        Assert.Equal(QuestionLanguage.ChineseSimplified, LanguageDetector.Detect("梵文？"));
        Assert.Equal(QuestionLanguage.ChineseTraditional, LanguageDetector.Detect("梵文？", context: "梵文是印度的古典語言，佛經多以梵文寫成。"));
        Assert.Equal(QuestionLanguage.ChineseSimplified, LanguageDetector.Detect("梵文？", context: "梵文是印度的古典语言，佛经多以梵文写成。"));
    }
}

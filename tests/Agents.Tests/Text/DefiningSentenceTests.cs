using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Tests.Text;

/// <summary>An article's defining sentence about the question's subject: the subject, then a bracket, a comma or a copula.</summary>
public class DefiningSentenceTests
{
    [Theory]
    [InlineData("赵鹏（），中国足球运动员，司职后卫。", new[] { "赵鹏", "职业" })]
    [InlineData("陳榮捷（），廣東開平人。", new[] { "陈荣捷" })]
    [InlineData("水湳洞阴阳海，简称阴阳海，位于台湾新北市瑞芳区水湳洞聚落北侧。", new[] { "水湳洞", "阴阳海" })]
    [InlineData("胜任力（英语：Competence）是指某个个人能够恰如其分地完成某项工作的能力。", new[] { "胜任力", "定义" })]
    [InlineData("The Eiffel Tower is a wrought-iron lattice tower in Paris.", new[] { "eiffel", "tower", "built" })]
    public void A_sentence_that_opens_with_the_subject_and_says_what_it_is_defines_it(string sentence, string[] terms) =>
        Assert.True(DefiningSentence.Opens(sentence, terms));

    [Theory]
    [InlineData("邹游在2004年正式进入大连实德一线队开始职业足球生涯。", new[] { "邹游", "职业" })]
    [InlineData("2012赛季，赵鹏未能帮助建业保级。", new[] { "赵鹏", "职业" })]
    [InlineData("It was completed in 1889.", new[] { "eiffel", "tower" })]
    [InlineData("The tower was completed in 1889.", new string[0])]
    public void A_sentence_that_does_not_open_with_the_subject_or_goes_on_with_a_verb_does_not(string sentence, string[] terms) =>
        Assert.False(DefiningSentence.Opens(sentence, terms));
}

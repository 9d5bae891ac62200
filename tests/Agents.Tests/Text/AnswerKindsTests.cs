using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Tests.Text;

public sealed class AnswerKindsTests
{
    [Theory]
    [InlineData("從沒電充到全滿大約需要四個半小時。")]
    [InlineData("A full charge takes about 4.5 hours.")]
    [InlineData("The warranty lasts 30 days.")]
    [InlineData("超過一個月不騎車")]
    [InlineData("如果超過一個月不騎車，請把電池放上兩個星期再充。")]
    public void A_stated_length_of_time_is_a_duration(string text) => Assert.True(AnswerKinds.Holds(AnswerKind.Duration, text));

    // The storage sentence of samples/docs holds a month only as the condition it applies on: not how long charging takes.
    [Theory]
    [InlineData("如果超過一個月不騎車，請把電池充到 50% 到 70% 之間。")]
    [InlineData("若存放三個月以上，請先充電。")]
    [InlineData("If you store the bike for more than a month, charge the battery to 60 percent.")]
    public void A_duration_only_inside_a_condition_is_not_a_stated_duration(string text) =>
        Assert.False(AnswerKinds.Holds(AnswerKind.Duration, text));

    [Theory]
    [InlineData("德龙烟铁路经过哪些地方？")]
    [InlineData("背斑眶锯雀鲷分布在什么海域？")]
    [InlineData("梁诚是哪个地方的人？")]
    public void Which_places_questions_ask_for_a_place(string question) => Assert.Equal(AnswerKind.Place, AnswerKinds.Of(question));

    [Theory]
    [InlineData("每三個月檢查一次電量")]
    [InlineData("每隔兩天清潔一次鏈條")]
    [InlineData("Check the pressure every two weeks.")]
    [InlineData("Service the bike every 30 days.")]
    public void How_often_is_not_how_long(string text) => Assert.False(AnswerKinds.Holds(AnswerKind.Duration, text));

    [Fact]
    public void How_long_questions_ask_for_a_duration()
    {
        Assert.Equal(AnswerKind.Duration, AnswerKinds.Of("電池要充多久"));
        Assert.Equal(AnswerKind.Duration, AnswerKinds.Of("How long does a full charge take?"));
    }

    [Theory]
    [InlineData("赵鹏的职业是什么？")]
    [InlineData("朱皇后是哪里人？")]
    [InlineData("司马繇是谁的儿子？")]
    [InlineData("白岳峰是哪一个少数民族的？")]
    [InlineData("唐愛陸的籍貫是哪裡？")]
    [InlineData("朱常浩的生母是谁？")]
    [InlineData("吕凯是什么时期的人？")]
    [InlineData("韦斯·昂塞尔德在场上的位置是什么？")]
    [InlineData("What nationality was Nikola Tesla?")]
    [InlineData("Where was Tesla from?")]
    public void Who_someone_is_questions_ask_for_a_profile(string question) => Assert.Equal(AnswerKind.Profile, AnswerKinds.Of(question));

    [Theory]
    [InlineData("赵鹏（），中国足球运动员，司职后卫。", true)]
    [InlineData("景皇后朱氏（），吴郡吴县（今江苏省苏州市）人，吴景帝孙休之妻。", true)]
    [InlineData("司马繇，琅邪王司马伷三子。", true)]
    [InlineData("瑞王朱常浩（），明神宗第五子、母周端妃。", true)]
    [InlineData("卫斯理·西塞尔·安索是一名美国退役篮球运动员，场上位置为中锋或大前锋。", true)]
    [InlineData("Nikola Tesla was a Serbian-American inventor and electrical engineer.", true)]
    [InlineData("2012赛季，赵鹏未能帮助建业保级。", false)]
    public void A_profile_is_held_by_a_defining_sentence_or_an_occupation(string text, bool holds) =>
        Assert.Equal(holds, AnswerKinds.Holds(AnswerKind.Profile, text));

    [Theory]
    [InlineData("新角龙类包含哪几类恐龙？")]
    [InlineData("交银金融大厦第3层有哪些机构？")]
    [InlineData("Name the three branches of the government.")]
    public void Which_ones_questions_ask_for_a_list(string question) => Assert.Equal(AnswerKind.List, AnswerKinds.Of(question));

    [Theory]
    [InlineData("新角龙类包含古角龙、辽宁角龙、冠饰角龙类。", true)]
    [InlineData("还出版了翻译经典《首楞严三昧经》、《解深密经》。", true)]
    [InlineData("Its exports include wool, wheat and wine.", true)]
    [InlineData("新角龙类是群衍化的角龙类恐龙。", false)]
    public void A_list_is_several_things_named_together(string text, bool holds) =>
        Assert.Equal(holds, AnswerKinds.Holds(AnswerKind.List, text));

    [Fact]
    public void A_place_question_that_asks_for_several_places_stays_a_place_question() =>
        Assert.Equal(AnswerKind.Place, AnswerKinds.Of("德龙烟铁路经过哪些地方？"));
}

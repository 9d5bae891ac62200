using KnowledgeQa.Agents.Answering;

namespace KnowledgeQa.Agents.Evaluation;

/// <summary>An answerable question of the sample answer set and the texts its answer must hold (any of them, normalised).</summary>
public sealed record SampleQuestion(string Question, IReadOnlyList<string> Expected);

/// <summary>A question of the sample answer set whose answer was not what the set expects.</summary>
public sealed record SampleAnswerFailure(string Question, string Expected, string Got);

/// <summary>
/// The answer set over samples/docs (the README's own knowledge base): answerable and unanswerable
/// questions in English, Traditional and Simplified Chinese, every README answer example among them.
/// The answer tests run it, and <c>kqa eval fit-relevance --write-source</c> runs it on a refit before
/// writing it, so a model that only looks better on the reading-comprehension sets cannot break what
/// a new user first tries.
/// </summary>
public static class SampleAnswerSet
{
    public static IReadOnlyList<SampleQuestion> Answerable { get; } =
    [
        // README: the top command, `kqa ask "What does error E07 mean?"`, `kqa ask "电池保固几年"`, the HTTP example.
        new("How long does a full charge take?", ["4.5 hours"]),
        new("What does error E07 mean?", ["E07: Motor overheated"]),
        new("电池保固几年", ["電池保固兩年"]),
        new("電池充滿電需要多久？", ["四個半小時"]),
        // Its Simplified form, a paraphrase of "從沒電充到全滿".
        new("电池充满电需要多久？", ["四個半小時"]),
        // jieba glues 要充 into one word no passage holds; search and relevance back 充 off to the words that hold it (充电).
        new("電池要充多久", ["四個半小時"]),
        new("电池要充多久", ["四個半小時"]),
        new("What is the battery warranty?", ["800 full charge cycles"]),
        new("When should brake pads be replaced?", ["thinner than 1.5 mm"]),
        new("What tyre pressure should I use?", ["3.5 bar"]),
        new("台北旗艦店的營業時間？", ["上午十一點到晚上八點"]),
        new("长期存放电池应该充到多少？", ["50% 到 70%"]),
        // Asked as 台中有門市嗎 below, about a place the documents do name.
        new("台北有門市嗎？", ["台北旗艦店"]),
    ];

    public static IReadOnlyList<string> Unanswerable { get; } =
    [
        "Django 如何配置 MySQL 数据库连接？",
        "Who won the 2018 World Cup?",
        "How do I install Python on Windows?",
        "如何申請信用卡？",
        // The documents describe the bike and give numbers, but never its weight.
        "How much does the Aurora A1 weigh?",
        // The only store is in 台北; 台中 is never mentioned.
        "台中有門市嗎？",
    ];

    /// <summary>
    /// Asks every question of the set (over a knowledge base holding samples/docs) and returns those
    /// answered other than expected: an answerable one refused or answered without its text, an
    /// unanswerable one answered.
    /// </summary>
    public static async Task<IReadOnlyList<SampleAnswerFailure>> CheckAsync(GroundedAnswerer answerer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answerer);
        var failures = new List<SampleAnswerFailure>();
        foreach (var question in Answerable)
        {
            var answer = await answerer.AskAsync(question.Question, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (answer.Refused || !AnswerNormalizer.ContainsAny(answer.Text, question.Expected))
                failures.Add(new SampleAnswerFailure(question.Question, string.Join(" | ", question.Expected), answer.Refused ? "(refused)" : answer.Text));
        }

        foreach (var question in Unanswerable)
        {
            var answer = await answerer.AskAsync(question, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!answer.Refused)
                failures.Add(new SampleAnswerFailure(question, "(refused)", answer.Text));
        }

        return failures;
    }
}

using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Answering;

/// <summary>The fixed wording of prompts and answers in one language.</summary>
public sealed record AnswerTexts
{
    /// <summary>The system message: answer only from the numbered passages, cite [n], admit when they lack the answer.</summary>
    public required string Instructions { get; init; }
    public required string PassagesHeading { get; init; }
    public required string QuestionHeading { get; init; }
    public required string SourceLabel { get; init; }
    public required string PageLabel { get; init; }
    /// <summary>What a refusal says: the knowledge base does not contain the answer.</summary>
    public required string Refusal { get; init; }
    /// <summary>The line shown before an extractive answer.</summary>
    public required string ExtractiveLabel { get; init; }
    /// <summary>Joins extracted sentences: a space between Latin sentences, nothing between CJK ones.</summary>
    public required string SentenceSeparator { get; init; }

    private const string EnglishInstructions =
        "You answer questions from a knowledge base. Use only the numbered passages in the user's message; " +
        "do not use outside knowledge and do not guess. After each statement, cite the passages it comes from " +
        "by their numbers in square brackets, like [1] or [2][3]. If the passages do not contain the answer, " +
        "say that the knowledge base does not contain the answer to this question. Be concise. ";

    public static AnswerTexts English { get; } = new()
    {
        Instructions = EnglishInstructions + "Answer in the language of the question.",
        PassagesHeading = "Passages:",
        QuestionHeading = "Question:",
        SourceLabel = "source",
        PageLabel = "page",
        Refusal = "The knowledge base does not contain an answer to this question.",
        ExtractiveLabel = "Extractive answer (no chat model configured):",
        SentenceSeparator = " ",
    };

    public static AnswerTexts ChineseSimplified { get; } = new()
    {
        Instructions =
            "你是知识库问答助手。只能根据用户消息中编号的资料回答问题，不要使用资料以外的知识，也不要猜测。" +
            "每句话后用方括号标注所依据的资料编号，例如 [1] 或 [2][3]。" +
            "如果资料中没有答案，就说明知识库中没有这个问题的答案。回答要简洁。请用简体中文回答。",
        PassagesHeading = "资料：",
        QuestionHeading = "问题：",
        SourceLabel = "来源",
        PageLabel = "页",
        Refusal = "知识库中没有找到这个问题的答案。",
        ExtractiveLabel = "摘录式回答（未配置聊天模型）：",
        SentenceSeparator = "",
    };

    public static AnswerTexts ChineseTraditional { get; } = new()
    {
        Instructions =
            "你是知識庫問答助手。只能根據使用者訊息中編號的資料回答問題，不要使用資料以外的知識，也不要猜測。" +
            "每句話後用方括號標註所依據的資料編號，例如 [1] 或 [2][3]。" +
            "如果資料中沒有答案，就說明知識庫中沒有這個問題的答案。回答要簡潔。請用繁體中文回答。",
        PassagesHeading = "資料：",
        QuestionHeading = "問題：",
        SourceLabel = "來源",
        PageLabel = "頁",
        Refusal = "知識庫中沒有找到這個問題的答案。",
        ExtractiveLabel = "摘錄式回答（未設定聊天模型）：",
        SentenceSeparator = "",
    };

    public static AnswerTexts Japanese { get; } = English with
    {
        Instructions = EnglishInstructions + "Answer in Japanese.",
        Refusal = "ナレッジベースには、この質問の答えが見つかりませんでした。",
        SentenceSeparator = "",
    };

    public static AnswerTexts Korean { get; } = English with
    {
        Instructions = EnglishInstructions + "Answer in Korean.",
        Refusal = "지식 베이스에서 이 질문에 대한 답을 찾을 수 없습니다.",
    };

    public static AnswerTexts For(QuestionLanguage language) => language switch
    {
        QuestionLanguage.ChineseSimplified => ChineseSimplified,
        QuestionLanguage.ChineseTraditional => ChineseTraditional,
        QuestionLanguage.Japanese => Japanese,
        QuestionLanguage.Korean => Korean,
        _ => English,
    };
}

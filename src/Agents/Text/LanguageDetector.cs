namespace KnowledgeQa.Agents.Text;

/// <summary>
/// The languages whose instructions and fixed answers (refusal, labels) the answerer writes in
/// the question's own language. Everything else gets English instructions that ask the model to
/// answer in the question's language.
/// </summary>
public enum QuestionLanguage
{
    Other,
    ChineseSimplified,
    ChineseTraditional,
    Japanese,
    Korean,
}

/// <summary>Which Chinese script a text is written in, read from the characters only one script uses.</summary>
public enum ChineseScript
{
    /// <summary>No telling character, as many Simplified as Traditional ones, or no Chinese at all.</summary>
    Unknown,
    Simplified,
    Traditional,
}

/// <summary>Guesses a question's language from its script (no model; a few microseconds).</summary>
public static class LanguageDetector
{
    // Common characters written differently in the two Chinese scripts, each used in one script only
    // (pairs such as 後/后 or 裡/里, where the simplified form also occurs in traditional text, are left out).
    private const string TraditionalOnly =
        "亞來個們傳億創劃劇劉劍動務區參吳員問單嗎國圍圖團場壓壽奪孫學實將專對導屆層屬島師帶幣廟廠廢廣廳張強彈徑從愛態慣應戀戰戲戶掃擁擊據擴攝敵數斷時書會東條楊業極構樂樓標樣樹橋機檢權歐歡歲歷歸殺氣沒況淚淨測溫滿漁漢漸潔濃濟灣為無熱燈營爭爺爾牆狀獎獨現瑪環產畫異當療發盡監盤確碼礎礦禮種稱穩窮競筆節築簡紀約紅納紐純紙級紛細終組結絕絡統絲經綠維網緊線練縣總績繼續羅義習聖聞聯聲職聽腦腳臉與興舉舊艦華萬葉蓋蕭藝蘇蘋蘭處號蟲術衛補裝襲見規視親覺覽觀觸訂計討訓記訪設許評試詩話該詳認語誤說課調談請論諸謝證識譯議護讀變讓貝負財貨責貴買費賀資賓賞賣質購趕趙跡躍車軌軍軟較載輕輪輯輸轉辦農這連進運過達遞遠適遲遷選遺還邊邏郵鄉鄧鄭醫針鈴銀銅銘銷鋒鋼錄錢錦錯鍵鎮鐘鐵長門閉開閒間閣關陣陰陳陸陽隊際隨險隱雖雙雜雞離難電靈靜韓響頁頂項順須預領頭頻顆題額顏願類顧顯風飛飯養館馬馮駐驅驗驚體鬧魚魯鮮鳥鹽麗麥麼黃點黨齊齒龍";

    private const string SimplifiedOnly =
        "万与专业东丝个为丽举么义乐习乡书买争亚产亲亿从们会传体党兰关兴养军农冯况净击划刘创剑剧办务动区医华单卖卫厂厅历压县参双发变叶号吗听吴员响团围国图圣场墙声处头夺奖孙学实宾对导寿将尔尽层届属岁岛币师带广应庙废开异张弹强归当录径态总恋惊惯愿戏战户扩扫护拥据摄敌数断无旧时显术机杀杂权条来杨极构标树样桥检楼欢欧气汉没泪洁测济浓渐渔温湾满灯灵点热爱爷状独玛环现电画疗盐监盖盘矿码础确礼离种称稳穷竞笔筑简类紧红约级纪纯纳纷纸纽线练组细终经结络绝统继绩续维绿网罗职联脑脚脸舰艺节苏苹营萧虫虽补袭装见观规视览觉触计订认讨让训议记许论设访证评识译试诗话该详语误说请诸读课调谈谢贝负财责货质购贵费贺资赏赵赶跃车轨转轮软轻载较辑输边达迁过运还这进远连迟迹适选递逻遗邓邮郑针钟钢钱铁铃铜铭银销锋错锦键镇长门闭问闲间闹闻阁队阳阴阵际陆陈险随隐难静韩页顶项顺须顾预领频颗题颜额风飞饭馆马驱驻验鱼鲁鲜鸟鸡麦黄齐齿龙";

    private static readonly HashSet<char> Traditional = [.. TraditionalOnly];
    private static readonly HashSet<char> Simplified = [.. SimplifiedOnly];

    /// <summary>
    /// The question's language. <paramref name="context"/> (e.g. the retrieved passages) decides
    /// between Simplified and Traditional Chinese when the question itself has no telling character.
    /// </summary>
    public static QuestionLanguage Detect(string question, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        int han = 0, kana = 0, hangul = 0, letters = 0;
        foreach (var c in question)
        {
            if (ScriptDetector.IsHan(c))
            {
                han++;
            }
            else if (ScriptDetector.IsKana(c))
            {
                kana++;
            }
            else if (ScriptDetector.IsHangul(c))
            {
                hangul++;
            }
            else if (char.IsLetter(c))
            {
                letters++;
            }
        }

        var cjk = han + kana + hangul;
        // A Latin word is worth several CJK characters; an English question naming one Chinese term stays English.
        if (cjk == 0 || cjk * 3 < letters)
        {
            return QuestionLanguage.Other;
        }

        if (hangul >= kana && hangul > han / 2 && hangul > 0)
        {
            return QuestionLanguage.Korean;
        }

        if (kana > 0)
        {
            return QuestionLanguage.Japanese;
        }

        var balance = ChineseScriptBalance(question);
        if (balance == 0 && context is not null)
        {
            balance = ChineseScriptBalance(context);
        }

        return balance > 0 ? QuestionLanguage.ChineseTraditional : QuestionLanguage.ChineseSimplified;
    }

    public static bool IsChinese(this QuestionLanguage language) =>
        language is QuestionLanguage.ChineseSimplified or QuestionLanguage.ChineseTraditional;

    /// <summary>The text's Chinese script from its own characters (no context): <see cref="ChineseScript.Unknown"/> when they do not tell.</summary>
    public static ChineseScript DetectChineseScript(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var balance = ChineseScriptBalance(text);
        return balance > 0 ? ChineseScript.Traditional : balance < 0 ? ChineseScript.Simplified : ChineseScript.Unknown;
    }

    /// <summary>Traditional-only minus Simplified-only characters: positive means Traditional.</summary>
    public static int ChineseScriptBalance(string text)
    {
        var balance = 0;
        foreach (var c in text)
        {
            if (Traditional.Contains(c))
            {
                balance++;
            }
            else if (Simplified.Contains(c))
            {
                balance--;
            }
        }

        return balance;
    }
}

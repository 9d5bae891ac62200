using System.Text.RegularExpressions;

namespace KnowledgeQa.Agents.Text;

/// <summary>What kind of answer a question asks for, as far as its wording tells.</summary>
public enum AnswerKind
{
    /// <summary>Nothing in the wording says (a "what" or "which" question about a thing).</summary>
    Unknown,
    /// <summary>How many, how much, what percentage, how far...</summary>
    Number,
    /// <summary>How heavy, how much does it weigh: a number with a unit of weight.</summary>
    Weight,
    /// <summary>How long (in time): hours, days, years.</summary>
    Duration,
    /// <summary>When, what year, what date.</summary>
    Date,
    /// <summary>Who.</summary>
    Person,
    /// <summary>Where.</summary>
    Place,
    /// <summary>Why.</summary>
    Reason,
    /// <summary>How to do something.</summary>
    Method,
    /// <summary>What is X, what does X mean.</summary>
    Definition,
    /// <summary>
    /// Who someone is: their occupation, where they are from, their nationality, people or parentage
    /// (赵鹏的职业是什么, 朱皇后是哪里人, 司马繇是谁的儿子, what nationality was X). An article's defining sentence says it.
    /// </summary>
    Profile,
    /// <summary>Which ones: several things named together (哪些, 哪几类, 有哪些; which ones, name the ...).</summary>
    List,
    /// <summary>A yes/no question (is, does, can ...?; 嗎, 是否).</summary>
    YesNo,
}

/// <summary>
/// Reads the kind of answer a question asks for (English, Simplified and Traditional Chinese) and
/// tells whether a sentence holds an answer of that kind (a duration for "how long", a year for
/// "when", a cause for "why"). A sentence with the asked-for kind of fact is far more likely to be
/// the answer than one that merely repeats the question's words.
/// </summary>
public static partial class AnswerKinds
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    [GeneratedRegex(@"\bhow (long|much time)\b|\bhow many (hours|minutes|seconds|days|weeks|months|years)\b|多久|多长时间|多長時間|多少时间|多少時間|多少(个|個)?(小时|小時|分钟|分鐘|天|年|月)|几(个|個)?(小时|小時|分钟|分鐘|天|年|月|周|週)|幾(个|個)?(小时|小時|分钟|分鐘|天|年|月|周|週)|多少年|多少天", Options)]
    private static partial Regex AsksDuration();

    [GeneratedRegex(@"\bwhen\b|\bwhat (year|date|time|day|month|century|decade|period|era)\b|\bwhich (year|date|day|month|century|decade)\b|\bin what year\b|何时|何時|什么时候|什麼時候|甚麼時候|哪一年|哪年|哪一天|哪天|何年|几月|幾月|几号|幾號|哪个年代|哪個年代|哪个世纪|哪個世紀|什么年代|什麼年代|何日", Options)]
    private static partial Regex AsksDate();

    [GeneratedRegex(@"\bhow heavy\b|\bhow much (does|do|did|would|will) .{1,60}\bweigh\b|\bwhat (is|was|are|were) the weight\b|\bweigh (in|at) how\b|多重|有多重|重量是|重量为|重量為|几公斤|幾公斤|多少公斤|多少千克|多少克|多少斤", Options)]
    private static partial Regex AsksWeight();

    [GeneratedRegex(@"\bhow (many|much|far|big|tall|large|high|old|fast|heavy|wide|deep|long)\b|\bwhat (percentage|percent|number|amount|size|weight|price|cost|speed|distance|temperature|population|proportion|fraction|share)\b|多少|多大|多高|多重|多远|多遠|多长|多長|多快|多深|多宽|多寬|百分之几|百分之幾|第几|第幾|[几幾](个|個|次|人|位|种|種|座|名|条|條|项|項|家|所|倍|岁|歲|公里|米|层|層|楼|樓|届|屆|集|部|本|首|张|張|只|隻|头|頭|匹|间|間|艘|架|辆|輛|台|臺|场|場|局|轮|輪|季|级|級|节|節|章|卷|期|队|隊|支|块|塊|颗|顆|枚|座|所|道|门|門|份|株|棵|片|批|组|組|对|對|代|任|届)", Options)]
    private static partial Regex AsksNumber();

    [GeneratedRegex(@"^\s*(who|whom|whose)\b|\b(who|whom|whose) (is|was|were|are|did|does|do|has|had|wrote|invented|founded|won|led|discovered|designed)\b|\bwhich (person|man|woman|player|author|president|king|queen|scientist|artist|composer|writer|leader|emperor)\b|谁|誰|哪位|什么人|什麼人|哪个人|哪個人", Options)]
    private static partial Regex AsksPerson();

    [GeneratedRegex(@"^\s*where\b|\bwhere (is|was|are|were|did|does|do|can|should)\b|\bwhat (city|country|place|state|location|region|town|continent|province|county|area|island|river|street)\b|\bwhich (city|country|place|state|location|region|town|continent|province|county|island|river)\b|哪里|哪裡|哪裏|哪儿|哪兒|在哪|何处|何處|什么地方|什麼地方|哪个(国家|城市|地区|省)|哪個(國家|城市|地區|省)|哪座城|位于何|位於何|(哪个|哪個|哪些|什么|什麼|甚麼|哪片)(地方|地区|地區|地带|地帶|海域|区域|區域|国家|國家|城市)", Options)]
    private static partial Regex AsksPlace();

    [GeneratedRegex(@"^\s*why\b|\bwhy\b|\bwhat (caused|causes|is the reason|was the reason|led to)\b|\bfor what reason\b|为什么|為什麼|为何|為何|什么原因|什麼原因|原因是", Options)]
    private static partial Regex AsksReason();

    [GeneratedRegex(@"^\s*how (do|does|did|can|could|should|to|would|is|are|was|were)\b|\bhow (do|can|should) (i|you|we)\b|\bwhat (should|must|do) (i|you|we) do\b|\bwhat to do\b|如何|怎么|怎麼|怎样|怎樣|怎么办|怎麼辦|该怎|該怎|要怎|什么方法|什麼方法", Options)]
    private static partial Regex AsksMethod();

    [GeneratedRegex(@"^\s*(what|who)\s+(is|are|was|were)\s+(a|an|the)?\s*[\w\-' ]{1,40}\?*\s*$|\bwhat does .{1,40} (mean|stand for|refer to)\b|\bmeaning of\b|\bdefin(e|ition)\b|什么是|什麼是|甚麼是|是什么意思|是什麼意思|指的是什么|指的是什麼|是指什么|是指什麼|的意思|是什么[？?]?\s*$|是什麼[？?]?\s*$", Options)]
    private static partial Regex AsksDefinition();

    // Asked of a person: what they do, where they are from, what people or nation they belong to, whose child they are.
    [GeneratedRegex(@"职业|職業|从事什么|從事什麼|从事何|從事何|做什么工作|做什麼工作|哪里人|哪裡人|哪裏人|何地人|何处人|何處人|籍贯|籍貫|哪国人|哪國人|何国人|何國人|国籍|國籍|(哪个|哪個|哪一个|哪一個|什么|什麼|哪)(少数)?民族|(谁|誰)的(儿子|兒子|女儿|女兒|孩子|父亲|父親|母亲|母親|后代|後代|子女)|(生母|生父|父亲|父親|母亲|母親|父母)是(谁|誰)|(什么|什麼|哪个|哪個)(时期|時期|朝代)的人|(场|場)上(的)?位置|司(职|職)(什么|什麼)|\bwhat (is|was|are|were) (his|her|their|\w+'s) (job|occupation|profession|nationality)\b|\bwhat (nationality|profession|occupation|ethnicity)\b|\bwhose (son|daughter|child)\b|\bwhere (is|was|were|are) \w[\w\s.'-]{0,40} from\b", Options)]
    private static partial Regex AsksProfile();

    // 哪些 / 哪几 + a measure word ask for several things; so do "which ones" and "name the ...".
    [GeneratedRegex(@"哪些|哪几[个個类類种種项項位家所座部条條]|哪幾[个個类類种種项項位家所座部条條]|有什么(?:建筑|建築|机构|機構|作品|翻译|翻譯|种类|種類|成员|成員)|\bwhich ones\b|\bname (the|some|two|three)\b", Options)]
    private static partial Regex AsksList();

    [GeneratedRegex(@"^\s*(is|are|was|were|does|do|did|can|could|will|would|should|has|have|had|may|must)\b|[吗嗎][？?]?\s*$|是否|有没有|有沒有|能不能|可不可以|会不会|會不會|是不是", Options)]
    private static partial Regex AsksYesNo();

    [GeneratedRegex(@"\b(code|snippet|example code|syntax|command|commands|script|signature|api call|how do i (write|call|declare|import|run|install))\b|代码|代碼|程式码|程式碼|程序代码|範例|范例|示例|命令|指令|怎么写|怎麼寫|写法|寫法", Options)]
    private static partial Regex AsksCode();

    /// <summary>The kind of answer the question asks for; the most specific wording wins.</summary>
    public static AnswerKind Of(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (AsksDuration().IsMatch(question))
            return AnswerKind.Duration;
        // Before the others: 司马繇是谁的儿子 asks whose son (not who), 朱皇后是哪里人 where she is from (not where she is).
        if (AsksProfile().IsMatch(question))
            return AnswerKind.Profile;
        if (AsksDate().IsMatch(question))
            return AnswerKind.Date;
        if (AsksWeight().IsMatch(question))
            return AnswerKind.Weight;
        if (AsksNumber().IsMatch(question))
            return AnswerKind.Number;
        if (AsksPerson().IsMatch(question))
            return AnswerKind.Person;
        if (AsksPlace().IsMatch(question))
            return AnswerKind.Place;
        if (AsksReason().IsMatch(question))
            return AnswerKind.Reason;
        if (AsksMethod().IsMatch(question))
            return AnswerKind.Method;
        if (AsksList().IsMatch(question))
            return AnswerKind.List;
        if (AsksDefinition().IsMatch(question))
            return AnswerKind.Definition;
        return AsksYesNo().IsMatch(question) ? AnswerKind.YesNo : AnswerKind.Unknown;
    }

    /// <summary>Whether the question asks for code (then code lines may answer it).</summary>
    public static bool WantsCode(string question) => AsksCode().IsMatch(question);

    // --- What a sentence holds ---

    [GeneratedRegex(@"\d|[零〇一二三四五六七八九十百千万萬亿億两兩半][个個次年月日天人元块塊公里米歲岁%％倍分秒小时時度座名位家项項种種条條件辆輛台臺届屆场場册冊頁页所层層楼樓集部本首张張只隻头頭匹间間艘架级級节節章卷期队隊支颗顆枚道门門份株棵片批组組对對代任]|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half|several)\b|百分之", Options)]
    private static partial Regex HasNumber();

    [GeneratedRegex(@"\d[\d.,]*\s*(kg|kilos?|kilogram(me)?s?|g|grams?|lbs?|pounds?|stones?|tons?|tonnes?|ounces?|oz)\b|\b(weighs?|weighed|weighing|weight of|heavy)\b|[\d零一二三四五六七八九十百千万萬两兩半]+\s*(公斤|千克|公克|克|噸|吨|磅|斤)|重達|重达|重量", Options)]
    private static partial Regex HasWeight();

    // "Every three months" and 每三個月 are how often, not how long: a duration right after every / 每 (每隔) is not one.
    [GeneratedRegex(@"(?<!\bevery\s+[\d.,]*)(\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|a few|several|half an?|an?)\b)[\s\-]*(hours?|minutes?|seconds?|days?|weeks?|months?|years?|decades?|centuries|century|hrs?|mins?|h\b)|(?<!每隔?[\d零一二三四五六七八九十百千万萬两兩]*)[\d零一二三四五六七八九十百千万萬两兩半]+\s*(个|個)?半?\s*(小时|小時|分钟|分鐘|秒|天|日|周|週|星期|个月|個月|月|年)|半(小时|小時|天|年)|\b(overnight|all day|for life|lifetime)\b", Options)]
    private static partial Regex HasDuration();

    [GeneratedRegex(@"\b(1[0-9]{3}|20[0-9]{2})s?\b|\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\b\d{1,2}(st|nd|rd|th) century\b|\bcentury\b|\b(yesterday|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|evening|night|noon|midnight|spring|summer|autumn|fall|winter|ago|since|until|after|before|during)\b|[\d零〇一二三四五六七八九十百千]+\s*(年|月|日|号|號|世纪|世紀|年代|朝|时|時|点|點)|(春|夏|秋|冬)(天|季)|(上午|下午|晚上|早上|中午|凌晨|週[一二三四五六日]|周[一二三四五六日]|星期[一二三四五六日天])|(之前|之后|之後|以前|以后|以後|期间|期間|时期|時期|年间|年間)", Options)]
    private static partial Regex HasDate();

    [GeneratedRegex(@"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(\s+(de|da|van|von|del|la|le|of)?\s*[A-Z][a-z]+)+\b|\b(he|she|his|her|mr|mrs|ms|dr|sir|king|queen|president|emperor|author|founder|inventor)\b|(先生|女士|教授|博士|总统|總統|皇帝|国王|國王|创办人|創辦人|创始人|創始人|作者|发明|發明|提出|主持|率领|率領)", RegexOptions.CultureInvariant)]
    private static partial Regex HasPerson();

    [GeneratedRegex(@"\b(in|at|near|from|to|on|across|throughout|outside|inside) (the )?[A-Z][a-z]+|\b(located|situated|headquartered|based|lies|lying|found in|north|south|east|west|city|country|region|river|street|road|island|mountain|state|province)\b|位于|位於|坐落|座落|在.{0,12}(市|县|縣|省|区|區|国|國|州|路|街|号|號|岛|島|山|河|湖|洲|镇|鎮|村|里|樓|楼)|(市|县|縣|省|区|區|国|國|州|路|街|岛|島|洲|镇|鎮|村)", RegexOptions.CultureInvariant)]
    private static partial Regex HasPlace();

    [GeneratedRegex(@"\b(because|due to|owing to|since|as a result|so that|in order to|caused by|causes?|leads? to|led to|reason|therefore|thus|hence|so as to|result(s|ed)? (in|from))\b|因为|因為|由于|由於|所以|因此|导致|導致|原因|为了|為了|以便|以免|造成|使得|致使|缘故|緣故|因而", Options)]
    private static partial Regex HasReason();

    [GeneratedRegex(@"\b(by|use|using|press|hold|turn|open|close|remove|check|make sure|first|then|next|finally|step|bring|write|call|run|install|set|click|select|choose|keep|replace|charge|contact|visit|register)\b|^\s*(\d+[.)]|[-*•])\s|可以|可在|可用|请|請|先|再|然后|然後|接着|接著|步骤|步驟|通过|通過|利用|使用|按|点击|點擊|打开|打開|设定|設定|设置|設置|预约|預約|拨打|撥打|联系|聯絡|登录|登錄|登錄", Options)]
    private static partial Regex HasMethod();

    [GeneratedRegex(@"\b(is|are|was|were) (a|an|the|one of|defined as|known as|called|considered)\b|\b(means|meant|refers to|referred to|stands for|is defined|denotes|describes|consists of|is used to|are used to)\b|[:：]\s|^[^，,。；;]{1,24}?[是為为](?![否不])|是指|是一种|是一種|是一个|是一個|是一座|是一所|是一家|是一位|是一部|是一款|是一项|是一項|指的是|即是|又称|又稱|也称|也稱|简称|簡稱|意思是|意为|意為|定义|定義|属于|屬於", Options)]
    private static partial Regex HasDefinition();

    // What a profile says: the bracket after a name that opens the article (赵鹏（），中国足球运动员), an occupation,
    // where someone is from (…人，), a people or a parent. English: "was an American actor", "born in", "son of".
    [GeneratedRegex(@"^[^，,。；;]{1,30}?[（(][^）)]*[）)]\s*[，,]|运动员|運動員|演员|演員|歌手|作家|诗人|詩人|画家|畫家|政治家|科学家|科學家|教授|教师|教師|医生|醫生|律师|律師|导演|導演|主持人|模特|官员|官員|将领|將領|商人|企业家|企業家|工程师|工程師|学者|學者|记者|記者|编剧|編劇|音乐家|音樂家|作曲家|球员|球員|教练|教練|司职|司職|守门员|守門員|后卫|後衛|中场|中場|前锋|前鋒|[^，,。；;]{1,20}人[，,。；;）)]|人氏|籍贯|籍貫|祖籍|出生于|出生於|生于|生於|[^，,。]{0,6}族[，,。；;）)人]|之子|之女|皇子|皇女|母[^，,。]{1,3}妃|(场|場)上位置|位置[为為是]|[长長次三四五幼]子|[长長次三四幼]女|儿子|兒子|女儿|女兒|\b(actor|actress|singer|writer|author|poet|painter|politician|scientist|professor|teacher|doctor|lawyer|director|player|footballer|musician|composer|engineer|businessman|journalist|architect|philosopher|mathematician|physicist|chemist|economist|general|soldier|officer|born (in|at|on)|native of|citizen of|son of|daughter of|nationality)\b|\b(American|British|English|French|German|Italian|Spanish|Russian|Chinese|Japanese|Polish|Dutch|Swiss|Swedish|Austrian|Canadian|Australian|Indian|Greek|Irish|Scottish|Portuguese|Brazilian|Mexican)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HasProfile();

    // Several things named together: a list with 、, titles in 《》 side by side, 包括 / 分别 / 以及, or "A, B and C".
    [GeneratedRegex(@"[^，,。；;、]{1,30}、[^，,。；;、]{1,30}|《[^》]{1,30}》[^。；;]{0,10}《|包括|包含|分别|分別|以及|等[，,。；;]|\b\w+, \w+(,)? (and|or) \w+|\b(include|includes|including|such as|consists? of)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HasList();

    // A condition's clause, up to the next comma or sentence end: "如果超過一個月不騎車，" / "if you store it for a month,".
    // The duration in it is when something applies, not how long something takes.
    [GeneratedRegex(@"(?:如果|假如|倘若|若是|要是|一旦|万一|萬一|(?<![般倘])若(?!干|是))[^，,。；;：:！？!?]*|\b(?:if|unless|in case)\b[^,;:.!?]*", Options)]
    private static partial Regex ConditionalClause();

    /// <summary>
    /// Whether the text holds a fact of the asked-for kind; null when the kind cannot be told from
    /// wording (<see cref="AnswerKind.Unknown"/>, <see cref="AnswerKind.YesNo"/>).
    /// </summary>
    public static bool? Holds(AnswerKind kind, string text) => kind switch
    {
        AnswerKind.Number => HasNumber().IsMatch(text),
        AnswerKind.Weight => HasWeight().IsMatch(text),
        AnswerKind.Duration => HasDuration().IsMatch(ConditionalClause().Replace(text, " ")),
        AnswerKind.Date => HasDate().IsMatch(text),
        AnswerKind.Person => HasPerson().IsMatch(text),
        AnswerKind.Place => HasPlace().IsMatch(text),
        AnswerKind.Reason => HasReason().IsMatch(text),
        AnswerKind.Method => HasMethod().IsMatch(text),
        AnswerKind.Definition => HasDefinition().IsMatch(text),
        AnswerKind.Profile => HasProfile().IsMatch(text),
        AnswerKind.List => HasList().IsMatch(text),
        _ => null,
    };
}

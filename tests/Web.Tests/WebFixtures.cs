using System.Text;

namespace KnowledgeQa.Web.Tests;

/// <summary>Documents that test how the app renders what it is given.</summary>
public static class WebFixtures
{
    public const string LongChineseFile = "長文測試.txt";
    public const string MarkupFile = "markup-note.txt";

    /// <summary>One 1,600-character line of Chinese with no punctuation or space, and a 300-letter Latin "word".</summary>
    public static readonly string LongChinese = string.Concat(Enumerable.Repeat("這時山谷裡開滿了野花遠處傳來溪水流動的聲音我們沿著小路慢慢走", 64));
    public static readonly string LongLatin = "xq" + string.Concat(Enumerable.Repeat("abcdefghij", 30));

    /// <summary>Text that would run script if it were ever put into the page as HTML.</summary>
    public const string Markup = "Ferry timetable note: <img src=x onerror=\"window.__pwned=1\"> and <script>window.__pwned=2</script> and <b>bold</b> stay text.";

    public static void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, LongChineseFile), $"長文測試\n\n{LongChinese}\n\n{LongLatin}\n", Encoding.UTF8);
        File.WriteAllText(Path.Combine(folder, MarkupFile), Markup + "\n", Encoding.UTF8);
    }
}

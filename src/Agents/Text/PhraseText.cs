using System.Text;
using System.Text.RegularExpressions;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Text;

/// <summary>
/// Text reduced for phrase matching: letters and digits only, lower case, Traditional Chinese folded
/// to Simplified, so that "Super Bowl 50" and "super bowl-50", or "電池保固" and "电池保固", compare
/// equal character by character.
/// </summary>
public static partial class PhraseText
{
    // Question words and the interrogative endings of Chinese questions: they are never in the answer sentence.
    [GeneratedRegex(@"\b(what|which|who|whom|whose|when|where|why|how|many|much|did|does|do|is|are|was|were)\b|什么|什麼|甚麼|哪一|哪个|哪個|哪些|哪里|哪裡|哪儿|哪兒|哪|谁|誰|多少|几|幾|怎么|怎麼|怎样|怎樣|如何|为什么|為什麼|为何|為何|是否|吗|嗎|呢", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionWords();

    public static string WithoutQuestionWords(string question) => QuestionWords().Replace(question, " ");

    public static string Of(string text)
    {
        var result = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in ChineseScriptFolding.ToSimplified(text.Normalize(NormalizationForm.FormKC)))
        {
            if (char.IsLetterOrDigit(c))
            {
                // One space between Latin words keeps "ab cd" from matching "abcd"; none around CJK.
                if (space && result.Length > 0 && !ScriptDetector.IsCjk(c) && !ScriptDetector.IsCjk(result[^1]))
                    result.Append(' ');
                space = false;
                result.Append(char.ToLowerInvariant(c));
            }
            else
            {
                space = true;
            }
        }

        return result.ToString();
    }

    /// <summary>Length of the longest common substring (dynamic programming over one row).</summary>
    public static int LongestCommonRun(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0)
            return 0;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        var best = 0;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : 0;
                if (current[j] > best)
                    best = current[j];
            }

            (previous, current) = (current, previous);
        }

        return best;
    }
}

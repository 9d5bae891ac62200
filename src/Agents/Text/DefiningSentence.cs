using System.Text.RegularExpressions;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Text;

/// <summary>
/// Tells an article's defining sentence about the question's subject: one that opens with the subject and goes on
/// with a bracket, a comma or a copula ("赵鹏（），中国足球运动员，司职后卫。", "The Eiffel Tower is a wrought-iron
/// lattice tower..."). Such a sentence answers what, who and where questions about its subject while sharing few
/// of their other words.
/// </summary>
public static partial class DefiningSentence
{
    // What follows a subject that is being defined: a bracket (the name in other scripts), a comma, or a copula.
    [GeneratedRegex(@"^\s*(?:[（(，,:：]|是|为|乃)|^\s+(?:is|was|are|were|refers)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DefinitionMark();

    [GeneratedRegex(@"^\s*(?:the|an?)\s+", RegexOptions.IgnoreCase)]
    private static partial Regex LeadingArticle();

    /// <summary>Whether the text opens with a run of the question's terms (its subject) followed by a definition mark.</summary>
    public static bool Opens(string text, IReadOnlyList<string> questionTerms)
    {
        var rest = LeadingArticle().Replace(ChineseScriptFolding.ToSimplified(text).ToLowerInvariant().TrimStart(), "", 1);
        var words = questionTerms.Select(ContentTerms.Display).Where(w => w.Length > 0)
            .Select(w => ChineseScriptFolding.ToSimplified(w).ToLowerInvariant()).OrderByDescending(w => w.Length).ToList();
        var subject = 0;
        while (words.FirstOrDefault(w => rest.StartsWith(w, StringComparison.Ordinal)) is { } word)
        {
            subject++;
            rest = rest[word.Length..];
            // The words of one name stand together with a space or a middle dot between them (Eiffel Tower, 艾蒂安·拉莫特).
            var joined = rest.TrimStart(' ', '·', '-');
            if (joined.Length == rest.Length || words.Any(w => joined.StartsWith(w, StringComparison.Ordinal)))
                rest = joined;
        }

        return subject > 0 && DefinitionMark().IsMatch(rest);
    }
}

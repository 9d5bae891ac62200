using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Agents.Evaluation;

/// <summary>
/// Normalises text for answer matching: Unicode compatibility forms (full-width letters, digits
/// and punctuation become half-width), lower case, and no whitespace or punctuation, so
/// "Denver Broncos" matches "the Denver  Broncos." and "１９８９年" matches "1989年".
/// </summary>
public static partial class AnswerNormalizer
{
    [GeneratedRegex(@"\s*[\[［【]\s*\p{Nd}+(?:\s*[,，、;；\-–]\s*\p{Nd}+)*\s*[\]］】]")]
    private static partial Regex CitationMarker();

    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var compatible = text.Normalize(NormalizationForm.FormKC);
        var result = new StringBuilder(compatible.Length);
        foreach (var c in compatible)
        {
            var category = char.GetUnicodeCategory(c);
            if (char.IsWhiteSpace(c) || IsPunctuation(category))
            {
                continue;
            }

            result.Append(char.ToLowerInvariant(c));
        }

        return result.ToString();
    }

    /// <summary>The text without [n] citation markers, which would otherwise split an answer span.</summary>
    public static string WithoutCitations(string text) => CitationMarker().Replace(text, "");

    /// <summary>Whether any of <paramref name="answers"/> occurs in <paramref name="text"/> after normalising both.</summary>
    public static bool ContainsAny(string text, IEnumerable<string> answers)
    {
        var normalized = Normalize(WithoutCitations(text));
        return answers.Select(Normalize).Any(a => a.Length > 0 && normalized.Contains(a, StringComparison.Ordinal));
    }

    private static bool IsPunctuation(UnicodeCategory category) => category is
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
        or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
        or UnicodeCategory.OtherPunctuation;
}

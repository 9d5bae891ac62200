using System.Text.RegularExpressions;
using KnowledgeQa.Agents.Text;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// What a question is about and what it asks for: its content terms (as the lexical index writes
/// them), the terms that name something (Django, MySQL, E07, 2023: a passage without them is about
/// something else), the kind of answer wanted, and whether it asks for code.
/// </summary>
public sealed record QuestionFocus
{
    public required string Question { get; init; }
    public required QuestionLanguage Language { get; init; }
    /// <summary>The Chinese script of the question's own characters (which relevance threshold applies), read once per question.</summary>
    public required ChineseScript Script { get; init; }
    /// <summary>Distinct content terms, in order.</summary>
    public required IReadOnlyList<string> Terms { get; init; }
    /// <summary>Content terms of names, codes and numbers in the question (a subset of <see cref="Terms"/>).</summary>
    public required IReadOnlyList<string> NamedTerms { get; init; }
    public required AnswerKind Kind { get; init; }
    public required bool WantsCode { get; init; }

    /// <summary>Chinese, Japanese or Korean: words are not space-separated and the default embedding model cannot read them.</summary>
    public bool IsCjk => Language != QuestionLanguage.Other;
}

/// <summary>Reads a <see cref="QuestionFocus"/> from a question.</summary>
public sealed partial class QuestionAnalyzer(ContentTerms terms)
{
    // Latin words and codes: in a Chinese question they are names (Django, MySQL, E07); in an
    // English one, capitalised words after the first and anything with a digit are.
    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9_.+#\-]*")]
    private static partial Regex LatinWord();

    private static readonly HashSet<string> QuestionOpeners = new(StringComparer.OrdinalIgnoreCase)
    {
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "do", "does", "did",
        "can", "could", "will", "would", "should", "has", "have", "had", "in", "on", "at", "for", "from", "by", "the", "a", "an", "i",
    };

    public QuestionFocus Analyze(string question, QuestionLanguage language)
    {
        ArgumentNullException.ThrowIfNull(question);
        var contentTerms = terms.OfQuestion(question);
        var named = new List<string>();
        foreach (Match word in LatinWord().Matches(question))
        {
            if (!IsName(question, word, language))
                continue;
            foreach (var term in terms.Of(word.Value))
            {
                if (!named.Contains(term) && contentTerms.Contains(term))
                    named.Add(term);
            }
        }

        return new QuestionFocus
        {
            Question = question,
            Language = language,
            Script = LanguageDetector.DetectChineseScript(question),
            Terms = contentTerms,
            NamedTerms = named,
            Kind = AnswerKinds.Of(question),
            WantsCode = AnswerKinds.WantsCode(question),
        };
    }

    private static bool IsName(string question, Match word, QuestionLanguage language)
    {
        var value = word.Value;
        if (value.Any(char.IsDigit))
            return true;
        if (language != QuestionLanguage.Other)
            return value.Length > 1;
        if (QuestionOpeners.Contains(value) || !char.IsUpper(value[0]))
            return false;
        // The first word of an English question is capitalised anyway.
        var before = question[..word.Index].TrimEnd();
        return before.Length > 0 && before[^1] is not ('.' or '?' or '!' or '"' or '“');
    }
}

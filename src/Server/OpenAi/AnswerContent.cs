using System.Text;
using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Plugins.Results;

namespace KnowledgeQa.Server.OpenAi;

/// <summary>
/// The assistant message a generic chat client shows: the answer with its [n] markers, then (for
/// an extractive answer) the label in parentheses, then the cited sources as a plain list that reads
/// well as text and as Markdown:
/// <code>
/// The warranty covers two years [1].
///
/// (Extractive answer (no chat model configured))
///
/// Sources:
/// - [1] warranty.md (Warranty)
/// </code>
/// The same sources, complete, are in the response's <c>knowledge_base</c> field.
/// </summary>
public static class AnswerContent
{
    private const string EnglishHeading = "Sources:";

    /// <summary>What follows the answer text: the extractive label and the source list ("" for a refusal).</summary>
    public static string Appendix(AnswerResult answer, IReadOnlyCollection<int> cited)
    {
        var appendix = new StringBuilder();
        if (answer.Label is { } label && !answer.Refused)
            appendix.Append("\n\n(").Append(label.TrimEnd(':', '：', ' ')).Append(')');
        var sources = answer.Citations.Where(c => cited.Contains(c.Number)).ToList();
        if (sources.Count > 0)
        {
            appendix.Append("\n\n").Append(Heading(answer.Language)).Append('\n');
            foreach (var source in sources)
                appendix.Append("- [").Append(source.Number).Append("] ").Append(Describe(source)).Append('\n');
        }
        return appendix.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// An earlier assistant message without the appendix this endpoint added, so that a follow-up is
    /// rewritten from the answer itself, not from its source list.
    /// </summary>
    public static string WithoutAppendix(string content)
    {
        var text = content;
        foreach (var heading in Headings)
        {
            var at = text.LastIndexOf("\n\n" + heading + "\n", StringComparison.Ordinal);
            if (at >= 0)
                text = text[..at];
        }
        foreach (var label in Labels)
        {
            var line = "\n\n(" + label.TrimEnd(':', '：', ' ') + ")";
            if (text.EndsWith(line, StringComparison.Ordinal))
                text = text[..^line.Length];
        }
        return text.Trim();
    }

    /// <summary>
    /// "en/warranty.md (Warranty, p. 3, Coverage › Exclusions)": the document id (never a path of the
    /// server's disk), its title, page and the headings below the title.
    /// </summary>
    public static string Describe(AnswerResult.CitationResult source)
    {
        var where = new List<string>();
        if (source.Title is { Length: > 0 } title && title != source.DocumentId)
            where.Add(title);
        if (source.Page is { } page)
            where.Add($"p. {page}");
        var headings = (source.Headings ?? []).SkipWhile(h => h == source.Title).ToList();
        if (headings.Count > 0)
            where.Add(string.Join(" › ", headings));
        return where.Count == 0 ? source.DocumentId : $"{source.DocumentId} ({string.Join(", ", where)})";
    }

    private static string Heading(string language) =>
        Enum.TryParse<QuestionLanguage>(language, out var parsed) && parsed is QuestionLanguage.ChineseSimplified or QuestionLanguage.ChineseTraditional
            ? AnswerTexts.For(parsed).SourceLabel + "："
            : EnglishHeading;

    private static IEnumerable<string> Headings =>
        [EnglishHeading, AnswerTexts.ChineseSimplified.SourceLabel + "：", AnswerTexts.ChineseTraditional.SourceLabel + "："];

    private static IEnumerable<string> Labels =>
        [AnswerTexts.English.ExtractiveLabel, AnswerTexts.ChineseSimplified.ExtractiveLabel, AnswerTexts.ChineseTraditional.ExtractiveLabel];
}

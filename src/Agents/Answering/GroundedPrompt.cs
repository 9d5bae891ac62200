using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Answering;

/// <summary>The messages for the chat model and the passages they number [1]..[n].</summary>
public sealed record GroundedPrompt(IReadOnlyList<ChatMessage> Messages, IReadOnlyList<SearchHit> Passages, int Tokens);

/// <summary>
/// Builds the grounded prompt: instructions (system), then the passages, each in a tagged block
/// with its number, source, title, headings and page as attributes, then the question (user).
///
/// Passage text is untrusted: a document may contain what looks like another passage's header, a
/// second "Question:" line, or instructions. So each prompt draws a random tag name
/// (<c>passage-3f9c…</c>) that no document can know in advance, escapes anything inside a passage that
/// looks like a tag of ours, and writes sources and titles as single-line attribute values with
/// control characters removed (a file name with a newline cannot start a line of its own); the
/// instructions say that only what is inside the blocks is passage text and that it is data, not
/// instructions.
///
/// The prompt is fitted to the model's window: each passage is cut to a maximum length, and
/// passages are dropped from the lowest-ranked up until the rest fits; the question and the
/// instructions are never cut.
/// </summary>
public sealed partial class GroundedPromptBuilder(ITokenCounter tokenCounter)
{
    // Chat templates wrap each message in role markers; this covers them for common templates.
    private const int TemplateOverheadTokens = 32;
    // A passage cut shorter than this says too little to be worth its number.
    private const int MinPassageTokens = 48;
    private const int MaxAttributeLength = 200;
    private const string Ellipsis = " …";

    // Anything that could open or close one of our blocks, whatever tag name the document guessed.
    [GeneratedRegex(@"<\s*/?\s*(passage|question|passages)", RegexOptions.IgnoreCase)]
    private static partial Regex TagLike();

    /// <param name="contextTokens">The model's window.</param>
    /// <param name="outputTokens">Tokens kept free for the answer.</param>
    /// <param name="sourceNames">How sources are named (full paths or file names); <see cref="PromptSourceNames.Auto"/> counts as full.</param>
    /// <exception cref="ChatModelException">The question alone does not leave room for one passage.</exception>
    public GroundedPrompt Build(
        string question, IReadOnlyList<SearchHit> passages, AnswerTexts texts, int contextTokens, int outputTokens, int maxPassageTokens,
        PromptSourceNames sourceNames = PromptSourceNames.Full)
    {
        var tag = NewTag();
        var instructions = texts.Instructions + " " + string.Format(CultureInfo.InvariantCulture, texts.UntrustedPassages, tag);
        var questionBlock = $"<question-{tag}>\n{Escape(question.Trim())}\n</question-{tag}>";
        var fixedTokens = tokenCounter.CountTokens(instructions) + tokenCounter.CountTokens(texts.PassagesHeading)
            + tokenCounter.CountTokens(questionBlock) + TemplateOverheadTokens;
        var budget = contextTokens - outputTokens - fixedTokens;
        if (budget < MinPassageTokens)
        {
            throw new ChatModelException(
                $"The question and instructions take {fixedTokens} tokens and the answer {outputTokens}, which leaves no room for passages " +
                $"in the model's context window of {contextTokens} tokens. Ask a shorter question, lower the answer length or use a model with a larger window.");
        }

        var blocks = new List<string>();
        var included = new List<SearchHit>();
        var used = 0;
        foreach (var hit in passages)
        {
            var open = OpeningTag(tag, included.Count + 1, hit, sourceNames);
            var close = $"</passage-{tag}>";
            var headerTokens = tokenCounter.CountTokens(open) + tokenCounter.CountTokens(close) + 2;
            var room = Math.Min(maxPassageTokens, budget - used - headerTokens);
            if (room < MinPassageTokens)
            {
                break;
            }

            var text = Fit(Escape(hit.Chunk.Text.Trim()), room, out var textTokens);
            blocks.Add(open + "\n" + text + "\n" + close);
            included.Add(hit);
            used += headerTokens + textTokens;
        }

        var user = new StringBuilder()
            .AppendLine(texts.PassagesHeading)
            .AppendLine()
            .AppendJoin("\n\n", blocks)
            .AppendLine()
            .AppendLine()
            .Append(texts.QuestionHeading).Append('\n')
            .Append(questionBlock)
            .ToString();
        ChatMessage[] messages = [new(ChatRole.System, instructions), new(ChatRole.User, user)];
        return new GroundedPrompt(messages, included, fixedTokens + used);
    }

    /// <summary>A tag name no document can predict: 48 random bits per prompt.</summary>
    private static string NewTag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>Passage or question text with anything tag-like defused (<c>&lt;</c> written as an entity).</summary>
    internal static string Escape(string text) => TagLike().Replace(text, m => "&lt;" + m.Value[1..]);

    private static string OpeningTag(string tag, int number, SearchHit hit, PromptSourceNames sourceNames)
    {
        var open = new StringBuilder($"<passage-{tag} n=\"{number}\" source=\"{Attribute(SourceName(hit.Source, sourceNames))}\"");
        if (hit.Title is { Length: > 0 } title && title != hit.Source)
        {
            open.Append($" title=\"{Attribute(title)}\"");
        }

        var headings = hit.Chunk.Headings.Where(h => h != hit.Title).ToList();
        if (headings.Count > 0)
        {
            open.Append($" section=\"{Attribute(string.Join(" > ", headings))}\"");
        }

        if (hit.Chunk.Page is int page)
        {
            open.Append(CultureInfo.InvariantCulture, $" page=\"{page}\"");
        }

        return open.Append('>').ToString();
    }

    /// <summary>The source as the prompt names it: whole, or only its last path segment (URLs stay whole).</summary>
    internal static string SourceName(string source, PromptSourceNames names)
    {
        if (names != PromptSourceNames.FileName || Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return source;
        }

        var trimmed = source.TrimEnd('/', '\\');
        var cut = trimmed.LastIndexOfAny(['/', '\\']);
        return cut >= 0 ? trimmed[(cut + 1)..] : trimmed;
    }

    /// <summary>
    /// A value safe inside a one-line, double-quoted attribute: control and format characters
    /// (newlines, ESC, bidirectional overrides, zero-width marks) and line separators become spaces,
    /// quotes and angle brackets are replaced, and the length is capped.
    /// </summary>
    internal static string Attribute(string value)
    {
        var text = new StringBuilder(Math.Min(value.Length, MaxAttributeLength + 1));
        var space = false;
        foreach (var c in value)
        {
            var category = char.GetUnicodeCategory(c);
            var blank = char.IsWhiteSpace(c) || category is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
            if (blank)
            {
                space = text.Length > 0;
                continue;
            }

            if (space)
            {
                text.Append(' ');
                space = false;
            }

            text.Append(c switch { '"' => '\'', '<' => '‹', '>' => '›', _ => c });
            if (text.Length >= MaxAttributeLength && !char.IsHighSurrogate(c))
            {
                return text.Append('…').ToString();
            }
        }

        return text.ToString();
    }

    /// <summary>The text, cut at a word or sentence boundary if needed, within <paramref name="maxTokens"/>.</summary>
    private string Fit(string text, int maxTokens, out int tokens)
    {
        tokens = tokenCounter.CountTokens(text);
        if (tokens <= maxTokens)
        {
            return text;
        }

        // Longest prefix that fits, by binary search over the character length.
        int low = 0, high = text.Length;
        var ellipsisTokens = tokenCounter.CountTokens(Ellipsis);
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (tokenCounter.CountTokens(text[..mid]) + ellipsisTokens <= maxTokens)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        var cut = BackToBoundary(text, low);
        var result = text[..cut].TrimEnd() + Ellipsis;
        tokens = tokenCounter.CountTokens(result);
        return result;
    }

    private static int BackToBoundary(string text, int length)
    {
        // Prefer not to cut a Latin word in half; CJK text can be cut anywhere.
        for (var i = length; i > length * 3 / 4; i--)
        {
            if (i == text.Length || char.IsWhiteSpace(text[i]) || Text.ScriptDetector.IsCjk(text[i - 1]))
            {
                return i;
            }
        }

        return length;
    }
}

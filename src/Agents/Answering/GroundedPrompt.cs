using System.Text;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Storage;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Answering;

/// <summary>The messages for the chat model and the passages they number [1]..[n].</summary>
public sealed record GroundedPrompt(IReadOnlyList<ChatMessage> Messages, IReadOnlyList<SearchHit> Passages, int Tokens);

/// <summary>
/// Builds the grounded prompt: instructions (system), then numbered passages with their source,
/// headings and page, then the question (user). The prompt is fitted to the model's window: each
/// passage is cut to a maximum length, and passages are dropped from the lowest-ranked up until the
/// rest fits; the question and the instructions are never cut.
/// </summary>
public sealed class GroundedPromptBuilder(ITokenCounter tokenCounter)
{
    // Chat templates wrap each message in role markers; this covers them for common templates.
    private const int TemplateOverheadTokens = 32;
    // A passage cut shorter than this says too little to be worth its number.
    private const int MinPassageTokens = 48;
    private const string Ellipsis = " …";

    /// <param name="contextTokens">The model's window.</param>
    /// <param name="outputTokens">Tokens kept free for the answer.</param>
    /// <exception cref="ChatModelException">The question alone does not leave room for one passage.</exception>
    public GroundedPrompt Build(
        string question, IReadOnlyList<SearchHit> passages, AnswerTexts texts, int contextTokens, int outputTokens, int maxPassageTokens)
    {
        var questionBlock = $"{texts.QuestionHeading} {question.Trim()}";
        var fixedTokens = tokenCounter.CountTokens(texts.Instructions) + tokenCounter.CountTokens(texts.PassagesHeading)
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
            var header = Header(included.Count + 1, hit, texts);
            var headerTokens = tokenCounter.CountTokens(header) + 2;
            var room = Math.Min(maxPassageTokens, budget - used - headerTokens);
            if (room < MinPassageTokens)
            {
                break;
            }

            var text = Fit(hit.Chunk.Text.Trim(), room, out var textTokens);
            blocks.Add(header + "\n" + text);
            included.Add(hit);
            used += headerTokens + textTokens;
        }

        var user = new StringBuilder()
            .AppendLine(texts.PassagesHeading)
            .AppendLine()
            .AppendJoin("\n\n", blocks)
            .AppendLine()
            .AppendLine()
            .Append(questionBlock)
            .ToString();
        ChatMessage[] messages = [new(ChatRole.System, texts.Instructions), new(ChatRole.User, user)];
        return new GroundedPrompt(messages, included, fixedTokens + used);
    }

    private static string Header(int number, SearchHit hit, AnswerTexts texts)
    {
        var header = new StringBuilder($"[{number}] ({texts.SourceLabel}: {hit.Source}");
        var place = new List<string>();
        if (hit.Title is { Length: > 0 } title && title != hit.Source)
        {
            place.Add(title);
        }

        place.AddRange(hit.Chunk.Headings.Where(h => h != hit.Title));
        if (place.Count > 0)
        {
            header.Append(" · ").AppendJoin(" > ", place);
        }

        if (hit.Chunk.Page is int page)
        {
            header.Append($" · {texts.PageLabel} {page}");
        }

        return header.Append(')').ToString();
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

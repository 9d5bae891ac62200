using KnowledgeQa.Retrieval;

namespace KnowledgeQa.Plugins.Requests;

/// <summary>
/// The bounds on what one request may ask for, shared by every surface that takes requests from
/// outside the process: the HTTP API, MCP (stdio and HTTP), the Semantic Kernel plugins a model
/// calls, and the CLI where a bound makes sense. Each bound caps work the caller could otherwise
/// make unbounded (every label is an embedding, every tag a filter term, every character of a
/// question is tokenized and searched).
/// </summary>
public static class RequestLimits
{
    /// <summary>Most passages one search or answer may retrieve.</summary>
    public const int MaxTop = 50;

    /// <summary>Passages when the caller names no number.</summary>
    public const int DefaultTop = 5;

    /// <summary>Most characters of a query, a question or a text to classify.</summary>
    public const int MaxTextLength = 4000;

    /// <summary>Most labels of one zero-shot classification (each is embedded).</summary>
    public const int MaxLabels = 100;

    /// <summary>Most tags in one search filter.</summary>
    public const int MaxTags = 100;

    /// <summary>Most characters of one tag or tenant name.</summary>
    public const int MaxNameLength = 256;

    /// <summary>The largest JSON request: an HTTP body of search, ask or classify, and one MCP message.</summary>
    public const int MaxMessageBytes = 256 * 1024;

    /// <summary>A required text (query, question, text): present, not blank, at most <see cref="MaxTextLength"/>.</summary>
    public static string Text(string? value, string argument)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidRequestException(argument, $"'{argument}' is required and must not be empty.");
        if (value.Length > MaxTextLength)
            throw new InvalidRequestException(argument, $"'{argument}' is {value.Length} characters; the limit is {MaxTextLength}.");
        return value;
    }

    /// <summary>How many passages: 1 to <see cref="MaxTop"/>, <paramref name="fallback"/> when not given.</summary>
    public static int Top(int? value, int fallback = DefaultTop, string argument = "top") => value switch
    {
        null => fallback,
        >= 1 and <= MaxTop => value.Value,
        _ => throw new InvalidRequestException(argument, $"'{argument}' must be between 1 and {MaxTop} (got {value})."),
    };

    /// <summary>A tag filter: at most <see cref="MaxTags"/> non-empty names, duplicates dropped, order kept.</summary>
    public static IReadOnlyList<string> Tags(IReadOnlyList<string?>? tags, string argument = "tags")
    {
        if (tags is null || tags.Count == 0)
            return [];
        if (tags.Count > MaxTags)
            throw new InvalidRequestException(argument, $"'{argument}' has {tags.Count} tags; the limit is {MaxTags}.");
        var result = new List<string>(tags.Count);
        for (var i = 0; i < tags.Count; i++)
        {
            var tag = Name(tags[i], $"{argument}[{i}]");
            if (!result.Contains(tag, StringComparer.Ordinal))
                result.Add(tag);
        }
        return result;
    }

    /// <summary>A tag or tenant name: a non-empty string of at most <see cref="MaxNameLength"/> characters, trimmed.</summary>
    public static string Name(string? value, string argument)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidRequestException(argument, $"'{argument}' must be a non-empty string.");
        var trimmed = value.Trim();
        if (trimmed.Length > MaxNameLength)
            throw new InvalidRequestException(argument, $"'{argument}' is {trimmed.Length} characters; the limit is {MaxNameLength}.");
        return trimmed;
    }

    /// <summary>Zero-shot labels: 2 to <see cref="MaxLabels"/> non-empty items.</summary>
    public static IReadOnlyList<string> Labels(IReadOnlyList<string?>? labels, string argument = "labels")
    {
        var count = labels?.Count ?? 0;
        if (count > MaxLabels)
            throw new InvalidRequestException(argument, $"'{argument}' has {count} labels; the limit is {MaxLabels}.");
        if (labels is null || count < 2 || labels.Any(string.IsNullOrWhiteSpace))
            throw new InvalidRequestException(argument, $"'{argument}' needs at least two non-empty labels (\"name\" or \"name=description\").");
        return labels.Select(l => l!).ToList();
    }
}

/// <summary>A request asked for more than <see cref="RequestLimits"/> allow, or gave an unusable value; <see cref="Argument"/> names it.</summary>
public sealed class InvalidRequestException(string argument, string message) : KnowledgeQaException(message)
{
    public string Argument { get; } = argument;
}

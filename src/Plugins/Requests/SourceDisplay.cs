using KnowledgeQa.Plugins.Results;

namespace KnowledgeQa.Plugins.Requests;

/// <summary>How a document's source is shown to callers.</summary>
public enum SourcePathDisplay
{
    /// <summary>
    /// The path relative to the folder it was ingested from (the document id, for files ingested
    /// from a folder), or the file name: never a path of the machine that ingested it.
    /// </summary>
    Relative,

    /// <summary>The source exactly as stored: absolute paths of the ingesting machine included.</summary>
    Full,
}

/// <summary>
/// Applies <see cref="SourcePathDisplay"/> to the results callers see. In-process hosts and the CLI
/// show full paths (the files are the user's own); a server defaults to relative ones, because an
/// absolute path tells a remote caller the server's folder layout and user names.
/// </summary>
public sealed class SourceDisplay(SourcePathDisplay mode)
{
    public static SourceDisplay Full { get; } = new(SourcePathDisplay.Full);

    public SourcePathDisplay Mode { get; } = mode;

    public string Show(string source, string documentId)
    {
        if (Mode == SourcePathDisplay.Full || !IsRooted(source))
            return source;
        var normalized = source.Replace('\\', '/');
        var id = documentId.Replace('\\', '/');
        if (id.Length > 0 && !Path.IsPathRooted(id) && normalized.EndsWith("/" + id, StringComparison.Ordinal))
            return id;
        return Path.GetFileName(normalized.TrimEnd('/'));
    }

    public SearchResult Apply(SearchResult result) => result with { Source = Show(result.Source, result.DocumentId) };

    public DocumentInfo Apply(DocumentInfo document) => document with { Source = Show(document.Source, document.DocumentId) };

    public AnswerResult Apply(AnswerResult answer) => Mode == SourcePathDisplay.Full
        ? answer
        : answer with { Citations = answer.Citations.Select(c => c with { Source = Show(c.Source, c.DocumentId) }).ToList() };

    // Windows drive paths count as rooted on any OS: a store may have been filled on another machine.
    private static bool IsRooted(string source) =>
        Path.IsPathRooted(source)
        || source.StartsWith(@"\\", StringComparison.Ordinal)
        || (source.Length >= 3 && char.IsAsciiLetter(source[0]) && source[1] == ':' && source[2] is '\\' or '/');
}

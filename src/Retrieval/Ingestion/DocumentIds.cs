namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// The one place that builds document ids: <c>SOURCE/relative/path</c>, the source name of an
/// ingested root (or an upload source) and the path inside it with '/' separators. Nothing else
/// may take an id apart; ids are opaque everywhere else.
/// </summary>
public static class DocumentIds
{
    public const int MaxSourceNameLength = 100;

    public static string Compose(string sourceName, string relativePath) => sourceName + "/" + relativePath;

    /// <summary>The id prefix of every document of a source (or of a folder inside it).</summary>
    public static string Prefix(string sourceName, string relativeFolder = "") =>
        relativeFolder.Length == 0 ? sourceName + "/" : sourceName + "/" + relativeFolder + "/";

    /// <summary>Null when <paramref name="name"/> can be a source name; otherwise what is wrong with it.</summary>
    public static string? ProblemWithSourceName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return "a source name must not be empty";
        if (name.Length > MaxSourceNameLength)
            return $"a source name has at most {MaxSourceNameLength} characters";
        if (name.Contains('/') || name.Contains('\\'))
            return "a source name must not contain '/' or '\\' (it is the first segment of document ids)";
        if (name is "." or "..")
            return "a source name must not be '.' or '..'";
        if (name.Any(char.IsControl))
            return "a source name must not contain control characters";
        if (name != name.Trim())
            return "a source name must not start or end with spaces";
        return null;
    }

    /// <summary>
    /// A client-given relative path (an upload's file name with its folders) made canonical:
    /// '/' separators, no empty, '.' or '..' segments, no leading '/'. Null when nothing usable is left
    /// or it tries to climb out ('..').
    /// </summary>
    public static string? NormalizeRelativePath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            return null;
        var segments = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s != ".").ToList();
        if (segments.Count == 0 || segments.Any(s => s == ".." || s.Any(char.IsControl)))
            return null;
        return string.Join('/', segments);
    }
}

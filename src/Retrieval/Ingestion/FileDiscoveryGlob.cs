using System.Text;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// One glob pattern: *, ** (any number of folders), ? and [abc] / [!abc]. Without a '/' it
/// matches a name at any depth, like .gitignore; with one it matches the relative path from the
/// ingest root. "dir/**" also matches the folder "dir" itself, so the walk never enters it.
/// </summary>
internal sealed class FileDiscoveryGlob
{
    private readonly Regex _regex;
    private readonly bool _matchesNameOnly;

    public FileDiscoveryGlob(string pattern)
    {
        Pattern = pattern;
        var normalized = pattern.Trim().Replace('\\', '/');
        if (normalized.StartsWith("./", StringComparison.Ordinal))
            normalized = normalized[2..];
        normalized = normalized.TrimEnd('/');
        _matchesNameOnly = !normalized.Contains('/');
        normalized = normalized.TrimStart('/');
        if (normalized.Length == 0)
            throw new InvalidOptionException($"Empty glob pattern '{pattern}'.");
        var options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking
            | (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? RegexOptions.IgnoreCase : RegexOptions.None);
        _regex = new Regex("^" + ToRegex(normalized) + "$", options);
    }

    public string Pattern { get; }

    public bool IsMatch(string relativePath, string name) => _regex.IsMatch(_matchesNameOnly ? name : relativePath);

    private static string ToRegex(string glob)
    {
        var regex = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                bool slashBefore = i == 0 || glob[i - 1] == '/';
                bool slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                bool atEnd = i + 2 == glob.Length;
                if (slashBefore && slashAfter)
                {
                    regex.Append("(?:.*/)?"); // "**/": zero or more folders
                    i += 2;
                }
                else if (slashBefore && atEnd && i > 0)
                {
                    regex.Length -= 1; // "/**" at the end: the folder itself or anything below it
                    regex.Append("(?:/.*)?");
                    i += 1;
                }
                else
                {
                    regex.Append(".*");
                    i += 1;
                }
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else if (c == '[' && glob.IndexOf(']', i + 2) is var close and > 0)
            {
                var body = glob[(i + 1)..close];
                regex.Append('[');
                if (body.StartsWith('!'))
                {
                    regex.Append('^');
                    body = body[1..];
                }
                regex.Append(body.Replace("\\", "\\\\").Replace("[", "\\[")).Append(']');
                i = close;
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }
        return regex.ToString();
    }
}

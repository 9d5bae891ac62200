using System.Globalization;

namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>
/// Skipped files grouped by reason, largest group first, unsupported types counted per extension:
/// "334 skipped: unsupported type (.js 111, .png 44, ...), hidden 12". What a person reads instead of
/// one line per file (which <c>--verbose</c> still gives).
/// </summary>
public sealed record SkipSummary(int Count, IReadOnlyList<SkipSummary.Group> Groups)
{
    private const int ExtensionsShown = 6;

    /// <param name="Reason">The kind of reason, in words ("unsupported type", "hidden").</param>
    /// <param name="Extensions">For unsupported types: how many files per extension, most first.</param>
    public sealed record Group(string Reason, int Count, IReadOnlyDictionary<string, int>? Extensions = null);

    public static SkipSummary From(IEnumerable<IngestionFileResult> files)
    {
        var skipped = files.Where(f => f.Outcome == IngestionOutcome.Skipped).ToList();
        var groups = skipped
            .GroupBy(f => f.Skip)
            .Select(g => new Group(
                Describe(g.Key),
                g.Count(),
                g.Key == SkipKind.UnsupportedType
                    ? g.GroupBy(f => Extension(f.Path)).OrderByDescending(e => e.Count()).ThenBy(e => e.Key, StringComparer.Ordinal)
                        .ToDictionary(e => e.Key, e => e.Count(), StringComparer.Ordinal)
                    : null))
            .OrderByDescending(g => g.Count)
            .ThenBy(g => g.Reason, StringComparer.Ordinal)
            .ToList();
        return new SkipSummary(skipped.Count, groups);
    }

    /// <summary>The one line, or null when nothing was skipped.</summary>
    public string? ToLine()
    {
        if (Count == 0)
            return null;
        var parts = Groups.Select(g =>
        {
            if (g.Extensions is not { Count: > 0 } extensions)
                return string.Create(CultureInfo.InvariantCulture, $"{g.Reason} {g.Count}");
            var shown = extensions.Take(ExtensionsShown).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} {e.Value}"));
            var more = extensions.Count > ExtensionsShown ? ", ..." : "";
            return $"{g.Reason} ({string.Join(", ", shown)}{more})";
        });
        return string.Create(CultureInfo.InvariantCulture, $"{Count} skipped: {string.Join(", ", parts)}");
    }

    private static string Extension(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension.Length == 0 ? "(none)" : extension;
    }

    private static string Describe(SkipKind kind) => kind switch
    {
        SkipKind.Hidden => "hidden",
        SkipKind.Excluded => "excluded",
        SkipKind.NotIncluded => "not included",
        SkipKind.UnsupportedType => "unsupported type",
        SkipKind.NotRegularFile => "not a regular file",
        SkipKind.BrokenLink => "broken link",
        SkipKind.Duplicate => "listed twice",
        SkipKind.LinkLoop => "link loop",
        SkipKind.Unlistable => "unreadable folder",
        SkipKind.NotFound => "not found",
        _ => "other",
    };
}

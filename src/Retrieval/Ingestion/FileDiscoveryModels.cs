namespace KnowledgeQa.Retrieval.Ingestion;

/// <summary>What <see cref="FileDiscovery"/> walks into and what it leaves out.</summary>
public sealed class DiscoveryOptions
{
    /// <summary>
    /// Glob patterns a file must match to be read (empty: every file). A pattern without '/'
    /// matches the file name at any depth ("*.md"); one with '/' matches the path relative to the
    /// ingest root ("docs/**/*.md"). Supports *, **, ? and [abc].
    /// </summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Glob patterns (as for <see cref="Include"/>) for files and folders to leave out.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Read files and folders whose names start with '.' (or that are marked hidden).</summary>
    public bool IncludeHidden { get; init; }

    /// <summary>
    /// Extensions read in folders when no include pattern names the file; others are reported as
    /// unsupported. Files without an extension are always offered (the reader registry sniffs
    /// their content). Defaults to the built-in readers' extensions.
    /// </summary>
    public IReadOnlyCollection<string> Extensions { get; init; } = Documents.DocumentReaderRegistry.BuiltInExtensions;
}

/// <summary>
/// A file found by <see cref="FileDiscovery"/>. <see cref="SkipReason"/> null: read it. Otherwise it
/// is reported but not read (hidden, excluded, unsupported, a symbolic link loop, not found...).
/// </summary>
/// <param name="FullPath">Absolute path (of a folder, for a skipped folder).</param>
/// <param name="RelativePath">Path relative to the ingest root with '/' separators.</param>
public sealed record DiscoveredFile(string FullPath, string RelativePath, string? SkipReason)
{
    public bool IsSkipped => SkipReason is not null;

    /// <summary>Why it was left out, as a kind (for summaries such as "unsupported type (.js 111, .png 44)").</summary>
    public SkipKind Skip { get; init; }

    /// <summary>True when the entry left out is a folder (nothing under it was walked).</summary>
    public bool IsFolder { get; init; }
}

/// <summary>The kinds of reasons a file or folder is left out of an ingest.</summary>
public enum SkipKind
{
    None,
    Hidden,
    Excluded,
    NotIncluded,
    UnsupportedType,
    NotRegularFile,
    BrokenLink,
    /// <summary>Reached twice (overlapping paths, links): read once.</summary>
    Duplicate,
    LinkLoop,
    /// <summary>A folder that could not be listed.</summary>
    Unlistable,
    NotFound,
}

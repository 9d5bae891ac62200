namespace KnowledgeQa.Retrieval.Tests.Documents;

/// <summary>
/// The folder of real-world files that once broke ingestion (shared/data/realworld: public PDFs, Word
/// files, VitePress pages, HTML fragments). It is not in the repository: it is found in the first
/// folder at or above the repository root that has shared/data/realworld (a checkout beside the
/// shared data, as the evaluation commands assume with ../shared/data), or where KQA_REALWORLD_DATA
/// points. Where it is missing, the tests that need it are reported as skipped, with the reason.
/// </summary>
internal static class RealWorldData
{
    public const string EnvironmentVariable = "KQA_REALWORLD_DATA";

    private static readonly Lazy<string?> Folder = new(Find);

    public static string SkipReason =>
        $"the real-world test files (shared/data/realworld) were not found at or above {RepositoryRoot()}: " +
        $"put the shared data beside the checkout or set {EnvironmentVariable} to the folder";

    /// <summary>The folder, or skips the calling test when there is none.</summary>
    public static string Require()
    {
        if (Folder.Value is null)
            Assert.Skip(SkipReason);
        return Folder.Value;
    }

    public static string PathOf(string relativePath) => Path.Combine(Require(), relativePath);

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
            return Directory.Exists(configured) ? Path.GetFullPath(configured) : null;
        return FindSharedData("realworld");
    }

    /// <summary>shared/data/<paramref name="subfolder"/> in the first folder at or above the repository root that has it, or null.</summary>
    public static string? FindSharedData(string subfolder)
    {
        for (var directory = new DirectoryInfo(RepositoryRoot()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "data", subfolder);
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "KnowledgeQa.sln")))
                return directory.FullName;
        }
        return AppContext.BaseDirectory;
    }
}

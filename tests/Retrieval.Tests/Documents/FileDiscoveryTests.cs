using KnowledgeQa.Retrieval.Ingestion;

namespace KnowledgeQa.Retrieval.Tests.Documents;

public sealed class FileDiscoveryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private List<DiscoveredFile> Discover(DiscoveryOptions? options = null, params string[] paths) =>
        new FileDiscovery(options ?? new DiscoveryOptions()).Discover(paths.Length == 0 ? [_folder.Path] : paths).ToList();

    private static List<string> Read(IEnumerable<DiscoveredFile> found) =>
        found.Where(f => f.SkipReason is null).Select(f => f.RelativePath).ToList();

    private static string? Reason(IEnumerable<DiscoveredFile> found, string id) =>
        found.Single(f => f.RelativePath == id).SkipReason;

    [Fact]
    public void Folders_are_walked_recursively_in_ordinal_order_with_relative_ids()
    {
        _folder.Write("b.md", "b");
        _folder.Write("a.txt", "a");
        _folder.Write("Z.pdf", "z");
        _folder.Write("sub/deeper/c.html", "c");
        _folder.Write("sub/b.docx", "d");
        _folder.Write("README", "no extension: left to the registry's sniffing");

        var found = Discover();

        Assert.Equal(["README", "Z.pdf", "a.txt", "b.md", "sub/b.docx", "sub/deeper/c.html"], Read(found));
        Assert.All(found, f => Assert.True(Path.IsPathFullyQualified(f.FullPath)));
        Assert.Equal(Path.Combine(_folder.Path, "sub", "deeper", "c.html"), found.Single(f => f.RelativePath == "sub/deeper/c.html").FullPath);
    }

    [Fact]
    public void A_file_argument_is_identified_by_its_name_and_read_whatever_its_kind()
    {
        var path = _folder.Write("deep/down/.notes.log", "x");

        var found = Discover(paths: [path]);

        Assert.Equal([new DiscoveredFile(path, ".notes.log", null)], found);
    }

    [Fact]
    public void Hidden_and_unsupported_files_are_reported_with_a_reason()
    {
        _folder.Write(".secret.txt", "s");
        _folder.Write(".git/config.txt", "g");
        _folder.Write("photo.jpg", "j");
        _folder.Write("keep.txt", "k");

        var found = Discover();

        Assert.Equal(["keep.txt"], Read(found));
        Assert.StartsWith("hidden", Reason(found, ".secret.txt"));
        Assert.StartsWith("hidden", Reason(found, ".git"));
        Assert.DoesNotContain(found, f => f.RelativePath == ".git/config.txt");
        Assert.Equal("unsupported file type '.jpg'", Reason(found, "photo.jpg"));

        var withHidden = Discover(new DiscoveryOptions { IncludeHidden = true });
        Assert.Equal([".git/config.txt", ".secret.txt", "keep.txt"], Read(withHidden).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Include_and_exclude_globs_filter_files_and_prune_folders()
    {
        _folder.Write("docs/guide.md", "g");
        _folder.Write("docs/api/ref.md", "r");
        _folder.Write("docs/api/ref.txt", "t");
        _folder.Write("node_modules/pkg/readme.md", "n");
        _folder.Write("build/out.md", "o");
        _folder.Write("notes.log", "l");
        _folder.Write("a1.md", "1");
        _folder.Write("ab.md", "2");

        var found = Discover(new DiscoveryOptions
        {
            Include = ["*.md", "*.log", "a?.md"],
            Exclude = ["node_modules", "build/**", "docs/**/ref.*", "a[b-z].md"],
        });

        // "*.log" names the extension explicitly, so it is read although no reader claims .log.
        Assert.Equal(["a1.md", "notes.log", "docs/guide.md"], Read(found));
        Assert.Equal("excluded by 'node_modules'", Reason(found, "node_modules"));
        Assert.Equal("excluded by 'build/**'", Reason(found, "build"));
        Assert.Equal("excluded by 'docs/**/ref.*'", Reason(found, "docs/api/ref.md"));
        Assert.Equal("excluded by 'a[b-z].md'", Reason(found, "ab.md"));
        Assert.DoesNotContain(found, f => f.RelativePath.StartsWith("node_modules/", StringComparison.Ordinal));

        var onlyDocs = Discover(new DiscoveryOptions { Include = ["docs/**/*.txt"] });
        Assert.Equal(["docs/api/ref.txt"], Read(onlyDocs));
        Assert.Equal("not matched by the include patterns", Reason(onlyDocs, "docs/guide.md"));
    }

    [Fact]
    public void Symbolic_link_loops_are_survived_and_reported()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "symbolic links need extra rights on Windows");
        _folder.Write("a/file.txt", "f");
        Directory.CreateSymbolicLink(Path.Combine(_folder.Path, "a", "loop"), _folder.Path);
        Directory.CreateSymbolicLink(Path.Combine(_folder.Path, "alias"), Path.Combine(_folder.Path, "a"));
        File.CreateSymbolicLink(Path.Combine(_folder.Path, "dangling.txt"), Path.Combine(_folder.Path, "nowhere.txt"));

        var found = Discover();

        Assert.Equal(["a/file.txt"], Read(found));
        Assert.StartsWith("symbolic link loop", Reason(found, "a/loop"));
        Assert.StartsWith("already walked as 'a'", Reason(found, "alias"));
        Assert.StartsWith("broken symbolic link", Reason(found, "dangling.txt"));
    }

    [Fact]
    public void Missing_paths_and_duplicates_across_arguments_are_reported()
    {
        var first = _folder.Write("one/readme.md", "1");
        _folder.Write("two/readme.md", "2");
        var missing = Path.Combine(_folder.Path, "missing");

        var found = Discover(null, Path.Combine(_folder.Path, "one"), Path.Combine(_folder.Path, "two"), first, missing);

        Assert.Equal(["readme.md"], Read(found));
        Assert.Equal(first, found[0].FullPath);
        Assert.Contains("already used by", found[1].SkipReason);
        Assert.Equal("already listed as 'readme.md'", found[2].SkipReason);
        Assert.Equal(new DiscoveredFile(missing, "missing", "not found") { Skip = SkipKind.NotFound }, found[3]);
    }
}

using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Tests.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Ingestion;

/// <summary>
/// A folder ingest mirrors the folder: real files in a temporary folder, the real embedding model
/// (its calls counted), a real SQLite store.
/// </summary>
public sealed class FolderSyncTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>, IAsyncLifetime
{
    private IngestionTestBed _bed = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _bed = new IngestionTestBed(model.Generator);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private Task<IngestionSummary> IngestAsync(string relativePath, IngestionOptions? options = null) =>
        _bed.Pipeline.IngestAsync([_bed.PathOf(relativePath)], options, cancellationToken: Ct);

    [Fact]
    public async Task Ids_are_the_source_name_and_the_path_inside_the_folder()
    {
        _bed.Write("docs/a.md", "# A\n\nAlpha text about the battery.");
        _bed.Write("docs/sub/b.txt", "Beta text about the charger.");

        var summary = await IngestAsync("docs");

        Assert.Equal(2, summary.Added);
        Assert.Equal(["docs/a.md", "docs/sub/b.txt"], await _bed.IdsAsync());
        Assert.All(await _bed.DocumentsAsync(), d => Assert.Equal("docs", d.SourceName));
        var source = await _bed.Store.GetSourceAsync("docs", Ct);
        Assert.Equal((SourceKind.Folder, _bed.PathOf("docs")), (source!.Kind, source.Root));
    }

    [Fact]
    public async Task Files_gone_from_the_folder_are_removed_after_the_adds_and_counted()
    {
        _bed.Write("docs/keep.md", SampleText.Document(2));
        _bed.Write("docs/gone.md", SampleText.Document(2, 10));
        _bed.Write("docs/old/also-gone.txt", SampleText.Document(1, 20));
        await IngestAsync("docs");

        File.Delete(_bed.PathOf("docs/gone.md"));
        Directory.Delete(_bed.PathOf("docs/old"), recursive: true);
        var summary = await IngestAsync("docs");

        Assert.Equal((0, 1, 2), (summary.Added, summary.Unchanged, summary.Removed));
        Assert.Equal(["docs/gone.md", "docs/old/also-gone.txt"], summary.Files.Where(f => f.Outcome == IngestionOutcome.Removed).Select(f => f.DocumentId).Order());
        Assert.Equal(["docs/keep.md"], await _bed.IdsAsync());
        var search = await _bed.Store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = (await model.Generator.EmbedOneAsync("tyre")), Top = 50 }, Ct);
        Assert.All(search, hit => Assert.Equal("docs/keep.md", hit.Chunk.DocumentId));
    }

    [Fact]
    public async Task No_prune_keeps_the_documents_of_deleted_files()
    {
        _bed.Write("docs/a.md", "Alpha.");
        _bed.Write("docs/b.md", "Beta.");
        await IngestAsync("docs");
        File.Delete(_bed.PathOf("docs/b.md"));

        var summary = await IngestAsync("docs", new IngestionOptions { Prune = false });

        Assert.Equal(0, summary.Removed);
        Assert.Equal(["docs/a.md", "docs/b.md"], await _bed.IdsAsync());
    }

    [Fact]
    public async Task A_renamed_file_and_a_moved_folder_are_removed_and_added_without_embedding()
    {
        for (var i = 0; i < 12; i++)
            _bed.Write($"docs/guide/page-{i:D2}.md", SampleText.Document(3, i * 3));
        _bed.Write("docs/notes.txt", SampleText.Document(2, 100));
        await IngestAsync("docs", new IngestionOptions { Tags = ["manual"] });
        var embeddedAtFirst = _bed.Embedder.Texts;
        Assert.True(embeddedAtFirst >= 13);
        _bed.Embedder.Reset();

        Directory.Move(_bed.PathOf("docs/guide"), _bed.PathOf("docs/handbook"));
        File.Move(_bed.PathOf("docs/notes.txt"), _bed.PathOf("docs/renamed-notes.txt"));
        var summary = await IngestAsync("docs");

        Assert.Equal((13, 13), (summary.Added, summary.Removed));
        Assert.Equal(0, _bed.Embedder.Texts);
        Assert.Equal(0, summary.EmbeddedChunks);
        Assert.True(summary.ReusedChunks >= 13);
        var documents = await _bed.DocumentsAsync();
        Assert.Equal(13, documents.Count);
        Assert.All(documents, d => Assert.DoesNotContain("/guide/", d.Id));
        // A moved file keeps its tags: they travel with its bytes.
        Assert.All(documents, d => Assert.Equal(["manual"], d.Tags));
    }

    [Fact]
    public async Task A_changed_document_embeds_only_its_new_chunks()
    {
        var paragraphs = Enumerable.Range(0, 40).Select(SampleText.Paragraph).ToList();
        _bed.Write("docs/long.md", string.Join("\n\n", paragraphs));
        var first = await IngestAsync("docs");
        var chunks = first.Files.Single().Chunks;
        Assert.True(chunks >= 8, $"{chunks} chunks");
        _bed.Embedder.Reset();

        paragraphs[20] = "This paragraph was rewritten: the warranty now covers the battery for three years, and the charger for two.";
        _bed.Write("docs/long.md", string.Join("\n\n", paragraphs));
        var second = await IngestAsync("docs");

        Assert.Equal(1, second.Replaced);
        var embedded = _bed.Embedder.Texts;
        Assert.InRange(embedded, 1, 3);
        Assert.Equal(embedded, second.EmbeddedChunks);
        Assert.Equal(second.Files.Single().Chunks - embedded, second.ReusedChunks);
    }

    [Fact]
    public async Task An_unchanged_file_is_not_even_read_again()
    {
        _bed.Write("docs/a.md", SampleText.Document(3));
        await IngestAsync("docs");
        var fingerprint = (await _bed.Store.GetDocumentAsync("docs/a.md", Ct))!.FileFingerprint;
        Assert.NotNull(fingerprint);
        _bed.Embedder.Reset();

        var again = await IngestAsync("docs");

        Assert.Equal(1, again.Unchanged);
        Assert.Equal(0, _bed.Embedder.Calls);
        Assert.Equal(fingerprint, (await _bed.Store.GetDocumentAsync("docs/a.md", Ct))!.FileFingerprint);
    }

    [Fact]
    public async Task A_path_that_does_not_exist_is_an_error_that_writes_nothing()
    {
        _bed.Write("docs/a.md", "Alpha.");
        await IngestAsync("docs");

        var error = await Assert.ThrowsAsync<IngestionPathException>(() => _bed.Pipeline.IngestAsync([_bed.PathOf("docs"), _bed.PathOf("dcos")], cancellationToken: Ct));

        Assert.Contains("dcos", error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.Equal(["docs/a.md"], await _bed.IdsAsync());
    }

    [Fact]
    public async Task An_emptied_folder_is_refused_instead_of_removing_every_document()
    {
        _bed.Write("docs/a.md", "Alpha.");
        _bed.Write("docs/b.md", "Beta.");
        await IngestAsync("docs");
        File.Delete(_bed.PathOf("docs/a.md"));
        File.Delete(_bed.PathOf("docs/b.md"));

        var error = await Assert.ThrowsAsync<IngestionPathException>(() => IngestAsync("docs"));

        Assert.Contains("is empty", error.Message);
        Assert.Contains("kqa delete --source docs", error.Message);
        Assert.Equal(["docs/a.md", "docs/b.md"], await _bed.IdsAsync());
    }

    [Fact]
    public async Task Documents_under_excluded_or_hidden_folders_are_kept()
    {
        _bed.Write("docs/a.md", "Alpha.");
        _bed.Write("docs/drafts/d.md", "Draft.");
        _bed.Write("docs/.notes/n.md", "Hidden note.");
        await IngestAsync("docs", new IngestionOptions { Discovery = new DiscoveryOptions { IncludeHidden = true } });
        Assert.Equal(3, (await _bed.IdsAsync()).Count);

        var summary = await IngestAsync("docs", new IngestionOptions { Discovery = new DiscoveryOptions { Exclude = ["drafts"] } });

        Assert.Equal(0, summary.Removed);
        Assert.Equal(["docs/.notes/n.md", "docs/a.md", "docs/drafts/d.md"], await _bed.IdsAsync());
    }

    [Fact]
    public async Task A_second_folder_of_the_same_name_is_refused_naming_both_paths_and_the_option()
    {
        _bed.Write("projA/docs/README.md", "Project A readme.");
        _bed.Write("projB/docs/README.md", "Project B readme.");
        await IngestAsync("projA/docs");

        var error = await Assert.ThrowsAsync<SourceConflictException>(() => IngestAsync("projB/docs"));

        Assert.Contains(_bed.PathOf("projA/docs"), error.Message);
        Assert.Contains(_bed.PathOf("projB/docs"), error.Message);
        Assert.Contains("--source", error.Message);
        Assert.Equal("Project A readme.", (await _bed.Store.ReadChunksAsync("docs/README.md", Ct).ToListAsync(Ct)).Single().Chunk.Text);

        var separate = await IngestAsync("projB/docs", new IngestionOptions { SourceName = "projB-docs" });
        Assert.Equal(1, separate.Added);
        Assert.Equal(["docs/README.md", "projB-docs/README.md"], await _bed.IdsAsync());
    }

    [Fact]
    public async Task Rebind_moves_a_source_to_another_folder_and_the_sync_mirrors_it()
    {
        _bed.Write("old/docs/a.md", SampleText.Document(2));
        _bed.Write("old/docs/b.md", SampleText.Document(2, 5));
        await IngestAsync("old/docs");
        Directory.Move(_bed.PathOf("old/docs"), _bed.PathOf("new-place"));
        File.Delete(_bed.PathOf("new-place/b.md"));
        _bed.Embedder.Reset();

        await Assert.ThrowsAsync<SourceConflictException>(() => IngestAsync("new-place", new IngestionOptions { SourceName = "docs" }));
        var summary = await IngestAsync("new-place", new IngestionOptions { SourceName = "docs", Rebind = true });

        Assert.Equal((0, 1, 1), (summary.Added, summary.Replaced, summary.Removed));
        Assert.Equal(0, _bed.Embedder.Texts);
        Assert.Equal(["docs/a.md"], await _bed.IdsAsync());
        Assert.Equal(_bed.PathOf("new-place"), (await _bed.Store.GetSourceAsync("docs", Ct))!.Root);
    }

    [Fact]
    public async Task A_file_joins_the_source_of_the_folder_that_holds_it_and_prunes_nothing()
    {
        _bed.Write("docs/a.md", "Alpha.");
        _bed.Write("docs/sub/b.md", "Beta.");
        await IngestAsync("docs");
        File.Delete(_bed.PathOf("docs/a.md"));
        _bed.Write("docs/sub/b.md", "Beta, changed.");

        var summary = await IngestAsync("docs/sub/b.md");

        Assert.Equal((1, 0), (summary.Replaced, summary.Removed));
        Assert.Equal(["docs/a.md", "docs/sub/b.md"], await _bed.IdsAsync());

        // A folder inside a source is synced as part of it: its gone files go, the rest stay.
        _bed.Write("docs/sub/c.md", "Gamma.");
        File.Delete(_bed.PathOf("docs/sub/b.md"));
        var partial = await IngestAsync("docs/sub");
        Assert.Equal((1, 1), (partial.Added, partial.Removed));
        Assert.Equal(["docs/a.md", "docs/sub/c.md"], await _bed.IdsAsync());
    }

    [Fact]
    public async Task A_file_outside_every_source_makes_a_source_of_its_folder()
    {
        var file = _bed.Write("loose/notes.md", "Loose notes.");

        await _bed.Pipeline.IngestAsync([file], cancellationToken: Ct);

        Assert.Equal(["loose/notes.md"], await _bed.IdsAsync());
        Assert.Equal(_bed.PathOf("loose"), (await _bed.Store.GetSourceAsync("loose", Ct))!.Root);
        // Ingesting the folder later syncs the same source.
        _bed.Write("loose/more.md", "More notes.");
        var folder = await IngestAsync("loose");
        Assert.Equal((1, 1), (folder.Added, folder.Unchanged));
    }

    [Fact]
    public async Task Documents_of_a_store_from_before_sources_are_taken_over_without_embedding()
    {
        var a = _bed.Write("docs/a.md", SampleText.Document(2));
        // What an older version stored: ids relative to the folder, no source name.
        var old = await _bed.Pipeline.IngestDocumentsAsync([new Document("a.md", a, File.ReadAllText(a)) { Tags = ["legacy"] }], cancellationToken: Ct);
        Assert.Equal(1, old.Added);
        _bed.Embedder.Reset();

        var summary = await IngestAsync("docs");

        Assert.Equal((1, 1), (summary.Added, summary.Removed));
        Assert.Equal(0, _bed.Embedder.Texts);
        var document = Assert.Single(await _bed.DocumentsAsync());
        Assert.Equal("docs/a.md", document.Id);
        Assert.Equal(["legacy"], document.Tags);
    }

    [Fact]
    public async Task Tags_are_kept_added_and_replaced_only_on_purpose()
    {
        _bed.Write("docs/a.md", "Alpha.");
        await IngestAsync("docs", new IngestionOptions { Tags = ["manual"] });

        await IngestAsync("docs");
        Assert.Equal(["manual"], (await _bed.DocumentsAsync()).Single().Tags);

        await IngestAsync("docs", new IngestionOptions { Tags = ["2024"] });
        Assert.Equal(["manual", "2024"], (await _bed.DocumentsAsync()).Single().Tags);

        var replaced = await IngestAsync("docs", new IngestionOptions { Tags = ["only"], ReplaceTags = true });
        Assert.Equal(1, replaced.Replaced);
        Assert.Equal(["only"], (await _bed.DocumentsAsync()).Single().Tags);
    }

    [Fact]
    public async Task Tags_a_document_gives_itself_are_added_to_the_run_tags()
    {
        var summary = await _bed.Pipeline.IngestDocumentsAsync(
            [new Document("notes/a", "notes/a", "Text with its own tags.") { Tags = ["own", "shared"] }],
            new IngestionOptions { Tags = ["shared", "run"] }, cancellationToken: Ct);

        Assert.Equal(1, summary.Added);
        Assert.Equal(["shared", "run", "own"], (await _bed.DocumentsAsync()).Single().Tags);
    }

    [Fact]
    public async Task A_file_that_failed_before_unchanged_is_told_from_a_new_failure()
    {
        _bed.Write("docs/good.md", "Good text.");
        var bad = _bed.Write("docs/bad.txt", "");
        File.WriteAllBytes(bad, [0x00, 0xFF, 0x00, 0x13, 0x37, 0x00, 0x00, 0xC3, 0x28, 0x00]);

        var first = await IngestAsync("docs");
        var second = await IngestAsync("docs");
        File.WriteAllBytes(bad, [0x00, 0xFE, 0x00, 0x00, 0x01, 0x00, 0x00]);
        var changed = await IngestAsync("docs");

        Assert.False(first.Files.Single(f => f.Outcome == IngestionOutcome.Failed).FailedBefore);
        Assert.True(second.Files.Single(f => f.Outcome == IngestionOutcome.Failed).FailedBefore);
        Assert.Equal(0, second.NewFailures);
        Assert.False(changed.Files.Single(f => f.Outcome == IngestionOutcome.Failed).FailedBefore);
        Assert.Equal("docs/bad.txt", Assert.Single(await _bed.Store.ListFailuresAsync("docs", Ct)).DocumentId);

        // Fixed: it goes in and the failure is forgotten; deleted files' failures go too.
        File.WriteAllText(bad, "Readable now.");
        var fixedRun = await IngestAsync("docs");
        Assert.Equal(1, fixedRun.Added);
        Assert.Empty(await _bed.Store.ListFailuresAsync("docs", Ct));
    }

    [Fact]
    public async Task Skipped_files_are_summarised_by_reason()
    {
        _bed.Write("docs/a.md", "Alpha.");
        _bed.Write("docs/app.js", "x");
        _bed.Write("docs/lib.js", "y");
        _bed.Write("docs/logo.png", "z");
        _bed.Write("docs/.hidden.md", "h");

        var summary = await IngestAsync("docs");

        Assert.Equal("4 skipped: unsupported type (.js 2, .png 1), hidden 1", SkipSummary.From(summary.Files).ToLine());
    }

    [Fact]
    public async Task Two_processes_syncing_one_folder_report_each_document_added_once()
    {
        for (var i = 0; i < 30; i++)
            _bed.Write($"docs/file-{i:D2}.md", SampleText.Document(1, i));
        var otherStore = _bed.OpenStore();
        var other = _bed.NewPipeline(otherStore);

        var runs = await Task.WhenAll(
            Task.Run(() => _bed.Pipeline.IngestAsync([_bed.PathOf("docs")], cancellationToken: Ct)),
            Task.Run(() => other.IngestAsync([_bed.PathOf("docs")], cancellationToken: Ct)));

        Assert.Equal(30, runs.Sum(r => r.Added));
        Assert.Equal(30, runs.Sum(r => r.Unchanged));
        Assert.All(runs, r => Assert.Equal(0, r.Replaced + r.Failed));
        Assert.Equal(30, (await _bed.IdsAsync()).Count);
    }
}

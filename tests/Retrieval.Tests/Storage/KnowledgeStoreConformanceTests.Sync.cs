using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Tests.Storage;

/// <summary>The store contract for keeping folders in step: honest write results, vectors by text, sources, failures.</summary>
public abstract partial class KnowledgeStoreConformanceTests
{
    [Fact]
    public async Task A_write_says_whether_it_added_replaced_or_left_the_document_unchanged()
    {
        var store = await NewStoreAsync();
        IndexedChunk[] first = [Indexed("alpha", 0, "one", Unit(0), Terms((1, 1f)))];

        Assert.Equal(DocumentWriteResult.Added, await store.UpsertDocumentAsync(Doc("alpha", hash: "v1"), first, Ct));
        Assert.Equal(DocumentWriteResult.Unchanged, await store.UpsertDocumentAsync(Doc("alpha", hash: "v1"), first, Ct));
        // Unchanged means nothing written, even when the caller passes other chunks with the same hash.
        Assert.Equal(DocumentWriteResult.Unchanged, await store.UpsertDocumentAsync(Doc("alpha", hash: "v1"), [Indexed("alpha", 0, "other", Unit(1))], Ct));
        Assert.Equal(["one"], (await ToListAsync(store.ReadChunksAsync("alpha", Ct))).Select(c => c.Chunk.Text));

        Assert.Equal(DocumentWriteResult.Replaced, await store.UpsertDocumentAsync(Doc("alpha", hash: "v2"), [Indexed("alpha", 0, "two", Unit(1))], Ct));
        Assert.Equal(["two"], (await ToListAsync(store.ReadChunksAsync("alpha", Ct))).Select(c => c.Chunk.Text));
        Assert.Equal(new StoreStatistics(1, 1, Dimensions, Model), await store.GetStatisticsAsync(Ct));
    }

    [Fact]
    public async Task Concurrent_writes_of_one_document_report_it_added_once()
    {
        var store = await NewStoreAsync();
        IndexedChunk[] chunks = [Indexed("same", 0, "same text", Unit(0), Terms((1, 1f))), Indexed("same", 1, "more text", Unit(1), Terms((2, 1f)))];

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => store.UpsertDocumentAsync(Doc("same"), chunks, Ct))));

        Assert.Equal(1, results.Count(r => r == DocumentWriteResult.Added));
        Assert.Equal(15, results.Count(r => r == DocumentWriteResult.Unchanged));
        Assert.Equal(new StoreStatistics(1, 2, Dimensions, Model), await store.GetStatisticsAsync(Ct));
    }

    [Fact]
    public async Task An_unchanged_write_brings_the_file_fingerprint_up_to_date()
    {
        var store = await NewStoreAsync();
        var document = Doc("docs/a.md") with { SourceName = "docs", FileFingerprint = "f1/s" };
        await store.UpsertDocumentAsync(document, [Indexed("docs/a.md", 0, "a", Unit(0))], Ct);
        AssertSameDocument(document with { ChunkCount = 1 }, (await store.GetDocumentAsync("docs/a.md", Ct))!);
        Assert.Equal("docs", (await store.GetDocumentAsync("docs/a.md", Ct))!.SourceName);

        Assert.Equal(DocumentWriteResult.Unchanged,
            await store.UpsertDocumentAsync(document with { FileFingerprint = "f2/s" }, [Indexed("docs/a.md", 0, "a", Unit(0))], Ct));

        var stored = (await store.GetDocumentAsync("docs/a.md", Ct))!;
        Assert.Equal("f2/s", stored.FileFingerprint);
        Assert.Equal("docs", stored.SourceName);
        Assert.Equal("docs", (await ToListAsync(store.ListDocumentsAsync(Ct))).Single().SourceName);
    }

    [Fact]
    public async Task Vectors_are_found_by_chunk_text_from_any_document()
    {
        var store = await NewStoreAsync();
        var shared = Normalize([0.5f, -0.5f, 0.25f, 1f]);
        await store.UpsertDocumentAsync(Doc("alpha"), [Indexed("alpha", 0, "shared text", shared), Indexed("alpha", 1, "only alpha", Unit(1))], Ct);
        await store.UpsertDocumentAsync(Doc("beta"), [Indexed("beta", 0, "shared text", shared)], Ct);

        var found = await store.FindVectorsAsync([ChunkTextHash.Compute("shared text"), ChunkTextHash.Compute("only alpha"), ChunkTextHash.Compute("never stored")], Ct);

        Assert.Equal(2, found.Count);
        Assert.Equal(shared, found[ChunkTextHash.Compute("shared text")].ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(Unit(1), found[ChunkTextHash.Compute("only alpha")].ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Empty(await store.FindVectorsAsync([], Ct));
    }

    [Fact]
    public async Task A_source_name_is_bound_once_and_the_binding_in_force_is_returned()
    {
        var store = await NewStoreAsync();
        var docs = new SourceBinding("docs", SourceKind.Folder, "/data/projA/docs");
        var other = new SourceBinding("docs", SourceKind.Folder, "/data/projB/docs");

        var bound = await store.BindSourceAsync(docs, cancellationToken: Ct);
        Assert.True(bound.SameTarget(docs));
        Assert.NotEqual(default, bound.BoundAt);
        Assert.True((await store.BindSourceAsync(other, cancellationToken: Ct)).SameTarget(docs));
        Assert.True((await store.GetSourceAsync("docs", Ct))!.SameTarget(docs));

        Assert.True((await store.BindSourceAsync(other, replace: true, Ct)).SameTarget(other));
        await store.BindSourceAsync(new SourceBinding("upload", SourceKind.Upload, null), cancellationToken: Ct);
        var listed = await ToListAsync(store.ListSourcesAsync(Ct));
        Assert.Equal(["docs", "upload"], listed.Select(s => s.Name));
        Assert.True(listed[0].SameTarget(other));
        Assert.Equal(SourceKind.Upload, listed[1].Kind);
        Assert.Null(listed[1].Root);

        Assert.True(await store.RemoveSourceAsync("docs", Ct));
        Assert.False(await store.RemoveSourceAsync("docs", Ct));
        Assert.Null(await store.GetSourceAsync("docs", Ct));
    }

    [Fact]
    public async Task Failures_are_remembered_per_source_replaced_and_forgotten()
    {
        var store = await NewStoreAsync();
        await store.BindSourceAsync(new SourceBinding("docs", SourceKind.Folder, "/data/docs"), cancellationToken: Ct);
        await store.RecordFailureAsync(new IngestFailure("docs/a.pdf", "docs", "/data/docs/a.pdf", "h1", "encrypted PDF"), Ct);
        await store.RecordFailureAsync(new IngestFailure("docs/b.txt", "docs", "/data/docs/b.txt", "h2", "binary file"), Ct);
        await store.RecordFailureAsync(new IngestFailure("loose", null, "loose", "h3", "empty"), Ct);
        await store.RecordFailureAsync(new IngestFailure("docs/a.pdf", "docs", "/data/docs/a.pdf", "h4", "corrupt PDF"), Ct);

        var failures = await store.ListFailuresAsync("docs", Ct);
        Assert.Equal(["docs/a.pdf", "docs/b.txt"], failures.Select(f => f.DocumentId));
        Assert.Equal(("h4", "corrupt PDF"), (failures[0].FileHash, failures[0].Reason));
        Assert.NotEqual(default, failures[0].FailedAt);
        Assert.Equal(["loose"], (await store.ListFailuresAsync(null, Ct)).Select(f => f.DocumentId));

        Assert.True(await store.ClearFailureAsync("docs/b.txt", Ct));
        Assert.False(await store.ClearFailureAsync("docs/b.txt", Ct));
        Assert.Equal(["docs/a.pdf"], (await store.ListFailuresAsync("docs", Ct)).Select(f => f.DocumentId));

        // Removing a source forgets its failures with it, not those of others.
        await store.RemoveSourceAsync("docs", Ct);
        Assert.Empty(await store.ListFailuresAsync("docs", Ct));
        Assert.Single(await store.ListFailuresAsync(null, Ct));
    }
}

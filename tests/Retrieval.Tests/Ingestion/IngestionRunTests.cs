using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Tests.Embeddings;

namespace KnowledgeQa.Retrieval.Tests.Ingestion;

/// <summary>How a run moves documents through embedding and writing: order, reuse, honest counts, a store that stops it.</summary>
public sealed class IngestionRunTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Small_documents_are_stored_while_a_large_one_is_still_being_embedded()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        var pipeline = bed.Pipeline;
        var prepared = new TaskCompletionSource();
        pipeline.AfterPrepared = position =>
        {
            if (position == 3)
                prepared.TrySetResult();
        };
        bed.Embedder.Gated = true;
        var large = new Document("big/manual", "manual", SampleText.Document(300));
        Document[] small = [new("small/a", "a", "A short note on brakes."), new("small/b", "b", "A short note on tyres."), new("small/c", "c", "A short note on lights.")];

        var run = pipeline.IngestDocumentsAsync([large, .. small], new IngestionOptions { EmbeddingBatchSize = 16 }, cancellationToken: Ct);

        // Every document is read before the first batch is let through; then two batches run.
        await prepared.Task.WaitAsync(Ct);
        bed.Embedder.Release(2);
        await bed.Embedder.WaitForCallsAsync(3, Ct);
        await WaitUntilAsync(async () => (await bed.DocumentsAsync()).Count == 3);

        Assert.Equal(["small/a", "small/b", "small/c"], await bed.IdsAsync());
        Assert.Null(await bed.Store.GetDocumentAsync("big/manual", Ct));

        bed.Embedder.Release(1000);
        var summary = await run;
        Assert.Equal(4, summary.Added);
        Assert.True(summary.Files.Single(f => f.DocumentId == "big/manual").Chunks > 40);
    }

    [Fact]
    public async Task The_same_text_in_many_documents_is_embedded_once()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        var shared = "The same disclaimer is printed under every page of the handbook.";
        var documents = Enumerable.Range(0, 10).Select(i => new Document($"pages/{i}", $"{i}", shared)).ToList();

        var summary = await bed.Pipeline.IngestDocumentsAsync(documents, cancellationToken: Ct);

        Assert.Equal(10, summary.Added);
        Assert.Equal(1, bed.Embedder.Texts);
        Assert.Equal((1, 9), (summary.EmbeddedChunks, summary.ReusedChunks));
    }

    [Fact]
    public async Task A_text_embedded_by_an_earlier_batch_while_later_documents_were_read_is_not_embedded_again()
    {
        // The reader runs ahead of a slow embedding worker: documents 1..9 are prepared while the
        // batch holding document 0 is still being embedded, so none of them finds the vector yet.
        await using var bed = new IngestionTestBed(model.Generator);
        bed.Embedder.Gated = true;
        var allPrepared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bed.Pipeline.AfterPrepared = position =>
        {
            if (position == 1)
                bed.Embedder.WaitForCallsAsync(1, Ct).GetAwaiter().GetResult();
            if (position == 9)
                allPrepared.TrySetResult();
        };
        var shared = "The same disclaimer is printed under every page of the handbook.";
        var documents = Enumerable.Range(0, 10).Select(i => new Document($"pages/{i}", $"{i}", shared)).ToList();

        var ingest = bed.Pipeline.IngestDocumentsAsync(documents, cancellationToken: Ct);
        await allPrepared.Task.WaitAsync(Ct);
        bed.Embedder.Release(10);
        var summary = await ingest;

        Assert.Equal(10, summary.Added);
        Assert.Equal((1, 1), (bed.Embedder.Calls, bed.Embedder.Texts));
        Assert.Equal((1, 9), (summary.EmbeddedChunks, summary.ReusedChunks));
    }

    [Fact]
    public async Task A_deleted_document_added_back_in_a_later_run_is_not_embedded_again()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        var document = new Document("notes/a", "notes/a", SampleText.Document(6));
        await bed.Pipeline.IngestDocumentsAsync([document], cancellationToken: Ct);
        await bed.Store.DeleteDocumentAsync("notes/a", Ct);
        bed.Embedder.Reset();

        var again = await bed.Pipeline.IngestDocumentsAsync([document], cancellationToken: Ct);

        Assert.Equal(1, again.Added);
        Assert.Equal(0, bed.Embedder.Texts);
    }

    [Fact]
    public async Task Two_documents_with_one_id_in_a_batch_are_not_both_reported_added()
    {
        await using var bed = new IngestionTestBed(model.Generator);

        var summary = await bed.Pipeline.IngestDocumentsAsync(
            [new Document("upload/a.md", "a.md", "First file."), new Document("upload/a.md", "a.md", "Second file.")],
            new IngestionOptions { SourceName = "upload" }, cancellationToken: Ct);

        Assert.Equal((1, 1), (summary.Added, summary.Failed));
        Assert.Contains("upload/a.md", summary.Files.Single(f => f.Outcome == IngestionOutcome.Failed).Reason);
        Assert.Single(await bed.DocumentsAsync());
    }

    [Fact]
    public async Task Deferred_documents_are_read_as_the_run_reaches_them_not_all_at_once()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        bed.Embedder.Gated = true;
        var read = 0;
        var documents = Enumerable.Range(0, 40).Select(i => new DeferredDocument($"upload/{i:D2}.md", $"{i:D2}.md", 100, _ =>
        {
            Interlocked.Increment(ref read);
            return Task.FromResult(new Document($"upload/{i:D2}.md", $"{i:D2}.md", $"Note {i}: part {i * 7} fits the frame of model {i + 100}."));
        })).ToList();
        var options = new IngestionOptions { SourceName = "upload", ReadAhead = 2, EmbeddingBatchSize = 2 };

        var run = bed.Pipeline.IngestDocumentsAsync(documents, options, cancellationToken: Ct);

        // While the first embedding call is held, the reader can only run ahead by the read-ahead and one batch.
        await bed.Embedder.WaitForCallsAsync(1, Ct);
        await Task.Delay(300, Ct);
        Assert.InRange(Volatile.Read(ref read), 1, 8);

        bed.Embedder.Release(1000);
        var summary = await run;
        Assert.Equal(40, summary.Added);
        Assert.Equal(40, read);
    }

    [Fact]
    public async Task A_deferred_document_that_cannot_be_read_fails_alone_with_the_readers_reason()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        DeferredDocument Readable(string name) =>
            DeferredDocument.From(new Document($"upload/{name}", name, $"The {name} note on brakes and tyres."));
        DeferredDocument[] documents =
        [
            Readable("a.md"),
            new("upload/broken.pdf", "broken.pdf", 10, _ => throw new DocumentReadException("broken.pdf", "not a PDF (no %PDF header): export it again")),
            Readable("b.md"),
        ];

        var summary = await bed.Pipeline.IngestDocumentsAsync(documents, new IngestionOptions { SourceName = "upload" }, cancellationToken: Ct);

        Assert.Equal((2, 1), (summary.Added, summary.Failed));
        var failed = summary.Files.Single(f => f.Outcome == IngestionOutcome.Failed);
        Assert.Equal(("broken.pdf", "upload/broken.pdf", "upload"), (failed.Path, failed.DocumentId, failed.SourceName));
        Assert.Equal("not a PDF (no %PDF header): export it again", failed.Reason);
        Assert.Equal(["upload/a.md", "upload/b.md"], await bed.IdsAsync());
    }

    [Fact]
    public async Task Uploads_into_a_folder_source_are_refused_unless_asked_for()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        bed.Write("docs/a.md", "From the folder.");
        await bed.Pipeline.IngestAsync([bed.PathOf("docs")], cancellationToken: Ct);
        Document[] upload = [new("docs/a.md", "a.md", "From an upload.")];

        var error = await Assert.ThrowsAsync<SourceConflictException>(() => bed.Pipeline.IngestDocumentsAsync(upload, new IngestionOptions { SourceName = "docs" }, cancellationToken: Ct));
        Assert.Contains(bed.PathOf("docs"), error.Message);
        Assert.Equal("From the folder.", (await bed.Store.ReadChunksAsync("docs/a.md", Ct).ToListAsync(Ct)).Single().Chunk.Text);

        var forced = await bed.Pipeline.IngestDocumentsAsync(upload, new IngestionOptions { SourceName = "docs", AllowFolderSource = true }, cancellationToken: Ct);
        Assert.Equal(1, forced.Replaced);
    }

    [Fact]
    public async Task A_full_store_stops_the_run_with_what_went_in_and_removes_nothing()
    {
        await using var bed = new IngestionTestBed(model.Generator, new EmbeddedStoreOptions { MaxSizeBytes = 400 * 1024 });
        for (var i = 0; i < 40; i++)
            bed.Write($"docs/file-{i:D2}.md", SampleText.Document(8, i * 8));
        bed.Write("docs/z-first.md", "Ingested first, deleted before the second run.");
        await bed.Pipeline.IngestAsync([bed.PathOf("docs/z-first.md")], cancellationToken: Ct);
        File.Delete(bed.PathOf("docs/z-first.md"));

        var stopped = await Assert.ThrowsAsync<IngestionStoppedException>(() => bed.Pipeline.IngestAsync([bed.PathOf("docs")], cancellationToken: Ct));

        Assert.IsType<StoreFullException>(stopped.StoreError);
        Assert.Contains("size limit", stopped.Message);
        Assert.True(stopped.Summary.Added > 0);
        Assert.True(stopped.Summary.Unfinished > 0);
        Assert.Equal(0, stopped.Summary.Removed);
        var ids = await bed.IdsAsync();
        Assert.Contains("docs/z-first.md", ids);
        Assert.Equal(stopped.Summary.Added + 1, ids.Count);
    }

    [Fact]
    public async Task Progress_estimates_the_chunks_left_to_embed()
    {
        await using var bed = new IngestionTestBed(model.Generator);
        for (var i = 0; i < 6; i++)
            bed.Write($"docs/f{i}.md", SampleText.Document(6, i * 6));
        var reports = new List<IngestionProgress>();

        // Read one file ahead and embed two chunks at a time, so reports come while files are still unread.
        var options = new IngestionOptions { ReadAhead = 1, EmbeddingBatchSize = 2 };
        var summary = await bed.Pipeline.IngestAsync([bed.PathOf("docs")], options, new SynchronousProgress(reports), Ct);

        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.NotNull(r.ChunksLeft));
        var last = reports[^1];
        Assert.Equal((6, 6), (last.FilesDone, last.FilesTotal));
        Assert.Equal(summary.EmbeddedChunks, last.ChunksEmbedded);
        Assert.Equal(0, last.ChunksLeft);
        Assert.Equal(1.0, last.Fraction);
        // While files are still unread, what is left includes an estimate for them.
        Assert.Contains(reports, r => r.ChunksLeft > 0);
    }

    [Fact]
    public void A_batch_gives_the_oldest_document_a_share_then_takes_whole_small_documents()
    {
        var large = Pending("large", 100);
        var small = Enumerable.Range(0, 5).Select(i => Pending($"s{i}", 3)).ToList();
        var window = new List<PendingDocument> { large };
        window.AddRange(small);

        var first = EmbeddingScheduler.Plan(window, 16);

        Assert.Equal(16, first.Count);
        Assert.Equal(4, first.Count(i => i.Document == large));
        Assert.Equal(12, first.Count(i => i.Document != large));
        Assert.Equal([large, small[4]], window);
        // The next batch finishes the small one left and goes on with the large document.
        var second = EmbeddingScheduler.Plan(window, 16);
        Assert.Equal(3, second.Count(i => i.Document != large));
        Assert.Equal(13, second.Count(i => i.Document == large));
        Assert.Equal([large], window);
        Assert.Equal(Enumerable.Range(0, 17), first.Concat(second).Where(i => i.Document == large).Select(i => i.ChunkIndex));
    }

    private static PendingDocument Pending(string id, int chunks)
    {
        var list = Enumerable.Range(0, chunks).Select(i => new Chunk { Id = Chunk.CreateId(id, i, $"{id} {i}"), DocumentId = id, Index = i, Text = $"{id} {i}", Start = 0, End = 1 }).ToList();
        var record = new StoredDocument { Id = id, Source = id, ContentHash = "h" };
        var prepared = new PreparedDocument(id, record, list, list.Select(_ => SparseVector.Empty).ToArray(), SourceContext.None);
        return new PendingDocument(prepared, new ReadOnlyMemory<float>[chunks], Enumerable.Range(0, chunks).ToArray());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        // Generous: only the condition ends the wait in a passing run.
        for (var i = 0; i < 600; i++)
        {
            if (await condition())
                return;
            await Task.Delay(50, Ct);
        }
        Assert.Fail("the condition never held");
    }

    private sealed class SynchronousProgress(List<IngestionProgress> reports) : IProgress<IngestionProgress>
    {
        public void Report(IngestionProgress value)
        {
            lock (reports)
                reports.Add(value);
        }
    }
}

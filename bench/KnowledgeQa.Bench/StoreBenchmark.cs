using System.Diagnostics;
using System.Globalization;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Storage.Embedded.Index;

namespace KnowledgeQa.Bench;

/// <summary>
/// The embedded store at growing sizes (default 10k, 100k and 1M chunks of 384 dimensions) on a
/// corpus with the structure of real data (see <see cref="StoreCorpus"/>), in one run:
/// bulk write speed; the index build and, in fresh processes, the first query after opening,
/// resident memory after answering queries, and catching up with one document written by another
/// process; dense, lexical and hybrid latency (query embedding excluded, hits' text loaded), with
/// and without filters; dense recall@10 against an exact float32 scan and lexical top-10 against
/// exhaustive BM25; both peers' latency on the same queries (the exact scan, and SQLite FTS5's
/// bm25), as ratios; at the largest size, deleting and replacing 1% of the documents and checking
/// every answer again. Latencies are medians over --runs runs of every query.
/// Options: --data DIR (required: the shared evaluation data)  --sizes 10000,100000,1000000
///          --runs 3  --queries 200 (per language)  --cache DIR  --no-quality  --keep  --peer-queries N (peers on fewer queries)  --runs-at-largest N
///          --real-passages N (embed N of the real passages, not all)
///          --profile (first: dense recall vs probe settings, where hybrid time goes, slowest lexical queries)
///          --write-only (only the bulk writes, with their bytes per chunk)
///          --peer-only (only build the FTS5 peer of the largest size into the cache)  --fts5-up-to N (no FTS5 peer above N chunks)
///          --lexical-only (no reopening child, exact-scan peer, dense sweep or changes at scale: a cheaper run for lexical and hybrid work)
/// </summary>
internal static class StoreBenchmark
{
    private const int Top = 10;

    /// <summary>Documents per bulk write: 4,000 chunks, about what ingestion's writer takes at once (IngestionRun.WriteBatchChunks).</summary>
    private const int WriteBatchDocuments = 40;

    public static async Task RunAsync(string[] options)
    {
        if (BenchArgs.String(options, "--child") is { } role)
        {
            await StoreBenchmarkChild.RunAsync(role, options);
            return;
        }
        var data = BenchArgs.String(options, "--data")
            ?? throw new ArgumentException("store needs --data DIR, the folder of the shared evaluation data (its SciFact, XQuAD, DRCD and CMRC 2018 passages make the corpus).");
        var sizes = (BenchArgs.String(options, "--sizes") ?? "10000,100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Order().ToArray();
        // bench/KnowledgeQa.Bench/.cache (git-ignored) keeps the corpus between runs.
        var cache = BenchArgs.String(options, "--cache") ?? Path.Combine(StartupBenchmark.RepositoryRoot(), "bench", "KnowledgeQa.Bench", ".cache", "store");
        var runs = BenchArgs.Int(options, "--runs", 3);
        // A million chunks takes minutes per run of every query set on a shared machine.
        var runsAtLargest = BenchArgs.Int(options, "--runs-at-largest", runs);
        // Embedding all ~15,000 real passages takes 20 CPU-minutes; fewer seeds make a corpus of tighter clusters (its own cache folder).
        var realPassages = BenchArgs.Int(options, "--real-passages", 0);
        if (realPassages > 0)
        {
            cache = Path.Combine(cache, $"real-{realPassages}");
        }
        var perLanguage = BenchArgs.Int(options, "--queries", 200);
        // FTS5 takes seconds per query at a million chunks: the peers may run on fewer queries (half of each language).
        var peerQueries = BenchArgs.Int(options, "--peer-queries", 2 * perLanguage);
        // Building the FTS5 peer of a million chunks takes most of an hour on a loaded machine: a run may leave it out above a size.
        var ftsUpTo = BenchArgs.Int(options, "--fts5-up-to", int.MaxValue);
        var lexicalOnly = options.Contains("--lexical-only");
        Console.WriteLine($"   load average at start: {LoadAverage.Read()} ({Environment.ProcessorCount} cores)");

        var largest = sizes[^1];
        // 2% more than the largest size: documents for the one-document writes and the replacements.
        var corpus = await StoreCorpus.LoadOrBuildAsync(data, cache, largest + largest / 50, realPassages);
        var queries = StoreQueries.From(corpus.Queries, perLanguage);
        if (options.Contains("--peer-only"))
        {
            // Builds the FTS5 peer of the largest size into the cache, in a process of its own, so a long run finds it built.
            await (await Fts5Peer.OpenOrBuildAsync(cache, corpus, largest)).DisposeAsync();
            return;
        }
        var folder = Path.Combine(cache, "run");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "store.db");
        var reference = new StoreReference(corpus.Count, queries.All.Select(q => q.Sparse));
        var results = new List<SizeResult>();
        var chunks = corpus.ReadChunks().GetEnumerator();
        var written = 0;
        var extraDocument = largest / StoreCorpus.ChunksPerDocument;
        foreach (var size in sizes)
        {
            Console.WriteLine($"-- {size:N0} chunks x {StoreCorpus.Dimensions} dims");
            var write = await WriteAsync(path, chunks, written, size, reference);
            written = size;
            Console.WriteLine($"   bulk write: {size - write.From:N0} chunks in {write.Seconds:F1} s = {write.ChunksPerSecond:N0} chunks/s (store writes only; file {new FileInfo(path).Length / 1e6:N0} MB, {new FileInfo(path).Length / (double)size / 1024:F2} KB per chunk)");
            if (options.Contains("--write-only"))
            {
                continue;
            }

            var build = await StoreBenchmarkChild.SpawnAsync("build", path, data, cache, perLanguage, onReady: null);
            var open = lexicalOnly ? "not measured (--lexical-only)" : await StoreBenchmarkChild.SpawnAsync("open", path, data, cache, perLanguage,
                onReady: () => WriteOneDocumentAsync(path, corpus, extraDocument));
            if (!lexicalOnly)
            {
                await DeleteDocumentAsync(path, StoreCorpus.DocumentId(extraDocument));
                extraDocument++;
            }
            Console.WriteLine($"   index build (first search of a fresh process): {build}");
            Console.WriteLine($"   reopened (fresh process): {open}");

            if (options.Contains("--profile"))
            {
                await StoreProfile.RunAsync(path, queries, reference, size, sweepDense: !lexicalOnly);
            }
            var result = await MeasureAsync(path, cache, corpus, queries, reference, size, size == largest ? runsAtLargest : runs, peerQueries, size <= ftsUpTo, lexicalOnly);
            result.Write = write.ChunksPerSecond;
            result.Build = build;
            result.Open = open;
            results.Add(result);
        }

        if (options.Contains("--write-only"))
        {
            Directory.Delete(folder, recursive: true);
            return;
        }
        if (!lexicalOnly)
        {
            await CheckChangesAtScaleAsync(path, corpus, queries, reference, largest, extraDocument);
        }
        if (!options.Contains("--no-quality"))
        {
            await StoreLexicalQuality.RunAsync(data);
        }
        PrintTable(results);
        Console.WriteLine($"   load average at end: {LoadAverage.Read()}");
        if (!options.Contains("--keep"))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // ---- writing ----

    private static async Task<(int From, double Seconds, double ChunksPerSecond)> WriteAsync(
        string path, IEnumerator<(string Text, float[] Vector, SparseVector Sparse)> chunks, int from, int to, StoreReference reference)
    {
        await using var store = await OpenAsync(path);
        var writing = new Stopwatch();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var storeCpu = 0.0;
        var ioBefore = ProcessIo.Read();
        // Bulk writes go in batches of documents (as ingestion writes what is ready), one transaction each.
        var batch = new List<DocumentUpsert>(WriteBatchDocuments);
        async Task FlushAsync()
        {
            var cpuStart = CpuClock.ProcessMilliseconds();
            writing.Start();
            var results = await store.UpsertDocumentsAsync(batch);
            writing.Stop();
            storeCpu += CpuClock.ProcessMilliseconds() - cpuStart;
            if (results.FirstOrDefault(r => !r.Succeeded) is { } failed)
            {
                throw new InvalidOperationException($"The bulk write refused {failed.DocumentId}: {failed.Error!.Message}");
            }
            batch.Clear();
        }
        for (var document = from / StoreCorpus.ChunksPerDocument; document * StoreCorpus.ChunksPerDocument < to; document++)
        {
            var indexed = new List<IndexedChunk>(StoreCorpus.ChunksPerDocument);
            for (var i = 0; i < StoreCorpus.ChunksPerDocument && chunks.MoveNext(); i++)
            {
                var (text, vector, sparse) = chunks.Current;
                indexed.Add(Indexed(document, i, text, vector, sparse));
                reference.Add(document * StoreCorpus.ChunksPerDocument + i, document, vector, sparse);
            }
            batch.Add(new DocumentUpsert(DocumentRecord(document), indexed));
            if (batch.Count == WriteBatchDocuments)
            {
                await FlushAsync();
            }
        }
        if (batch.Count > 0)
        {
            await FlushAsync();
        }
        process.Refresh();
        // On a shared machine wall time depends on the load; CPU time says what the writes cost (the whole process's also counts reading the corpus).
        Console.WriteLine($"   write CPU time (whole process, corpus reading included): {(process.TotalProcessorTime - cpuBefore).TotalSeconds:F1} s = {(to - from) / (process.TotalProcessorTime - cpuBefore).TotalSeconds:N0} chunks per CPU-second; " +
                          $"inside the store's writes: {storeCpu / 1e3:F1} s = {(to - from) / (storeCpu / 1e3):N0} chunks per CPU-second");
        // Bytes handed to write(2) and read(2) (WAL frames, checkpoints, page reads; the corpus reading is in the reads).
        var io = ProcessIo.Read() - ioBefore;
        Console.WriteLine($"   write I/O per chunk: {io.Written / (double)(to - from) / 1024:F1} KB written, {io.BytesRead / (double)(to - from) / 1024:F1} KB read (corpus included), " +
                          $"{io.WriteCalls / (double)(to - from):F1} write calls");
        return (from, writing.Elapsed.TotalSeconds, (to - from) / writing.Elapsed.TotalSeconds);
    }

    /// <summary>Documents of 100 chunks; tags and tenants split them into hundredths, so a filter can select 1% of the chunks.</summary>
    public static StoredDocument DocumentRecord(int document, string hash = "v1") => new()
    {
        Id = StoreCorpus.DocumentId(document),
        Source = StoreCorpus.DocumentId(document) + ".txt",
        ContentHash = hash,
        Tags = [$"t{document % 100}", document % 2 == 0 ? "even" : "odd"],
        Tenant = $"tenant{document / 7 % 100}",
    };

    public static IndexedChunk Indexed(int document, int index, string text, float[] vector, SparseVector sparse, string? documentId = null)
    {
        var id = documentId ?? StoreCorpus.DocumentId(document);
        return new IndexedChunk(new Chunk { Id = Chunk.CreateId(id, index, text), DocumentId = id, Index = index, Text = text, Start = 0, End = text.Length }, vector, sparse);
    }

    /// <summary>The write another process makes while the child holds its index: one document from the spare part of the corpus.</summary>
    private static async Task WriteOneDocumentAsync(string path, StoreCorpus corpus, int document)
    {
        await using var store = await OpenAsync(path);
        var chunks = corpus.ReadChunks(document * StoreCorpus.ChunksPerDocument, StoreCorpus.ChunksPerDocument)
            .Select((c, i) => Indexed(document, i, c.Text, c.Vector, c.Sparse)).ToList();
        await store.UpsertDocumentAsync(DocumentRecord(document), chunks);
    }

    private static async Task DeleteDocumentAsync(string path, string id)
    {
        await using var store = await OpenAsync(path);
        await store.DeleteDocumentAsync(id);
    }

    public static async Task<EmbeddedKnowledgeStore> OpenAsync(string path)
    {
        var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        await store.InitializeAsync(StoreCorpus.Dimensions, "all-MiniLM-L6-v2");
        return store;
    }

    // ---- measuring ----

    private sealed class SizeResult
    {
        public int Size;
        public double Write;
        public string Build = "";
        public string Open = "";
        public readonly Dictionary<string, (double P50, double P99)> Latency = [];
        /// <summary>Process CPU time per query: what the search costs, without the time spent waiting for a core on a loaded machine.</summary>
        public readonly Dictionary<string, (double P50, double P99)> Cpu = [];
        public double RecallEnglish;
        public double RecallChinese;
        public double IdenticalEnglish;
        public double IdenticalChinese;
        public double FilteredRecall;
        public double FilteredIdentical;
    }

    private static async Task<SizeResult> MeasureAsync(string path, string cache, StoreCorpus corpus, StoreQueries queries, StoreReference reference, int size, int runs, int peerQueries, bool withFts5, bool lexicalOnly)
    {
        IReadOnlyList<StoreQueries.Query> peerSet = [.. queries.English.Take(peerQueries / 2), .. queries.Chinese.Take(peerQueries - peerQueries / 2)];
        var result = new SizeResult { Size = size };
        await using var store = await OpenAsync(path);
        await using var fts = withFts5 ? await Fts5Peer.OpenOrBuildAsync(cache, corpus, size) : null;
        var onePercentTag = new SearchFilter { Tags = ["t7"] };
        var onePercentTenant = new SearchFilter { Tenant = "tenant13" };
        var documents = size / StoreCorpus.ChunksPerDocument;
        var onePercentDocuments = new SearchFilter { DocumentIds = [.. Enumerable.Range(0, Math.Max(1, documents / 100)).Select(i => StoreCorpus.DocumentId(i * 100 + 42))] };
        var halfTag = new SearchFilter { Tags = ["even"] };

        var cases = new List<(string Name, Func<StoreQueries.Query, StoreQuery> Build, IReadOnlyList<StoreQueries.Query> Queries)>
        {
            ("dense", q => q.As(SearchMode.Dense, Top), queries.All),
            ("lexical en", q => q.As(SearchMode.Lexical, Top), queries.English),
            ("lexical zh", q => q.As(SearchMode.Lexical, Top), queries.Chinese),
            ("hybrid en", q => q.As(SearchMode.Hybrid, Top), queries.English),
            ("hybrid zh", q => q.As(SearchMode.Hybrid, Top), queries.Chinese),
            ("dense, 1% tag", q => q.As(SearchMode.Dense, Top) with { Filter = onePercentTag }, queries.English),
            ("lexical, 1% tag", q => q.As(SearchMode.Lexical, Top) with { Filter = onePercentTag }, queries.English),
            ("hybrid, 1% tag", q => q.As(SearchMode.Hybrid, Top) with { Filter = onePercentTag }, queries.English),
            ("hybrid, 1% tenant", q => q.As(SearchMode.Hybrid, Top) with { Filter = onePercentTenant }, queries.English),
            ("hybrid, 1% documents", q => q.As(SearchMode.Hybrid, Top) with { Filter = onePercentDocuments }, queries.English),
            ("hybrid, 50% tag", q => q.As(SearchMode.Hybrid, Top) with { Filter = halfTag }, queries.English),
        };
        // One untimed pass, so tiered compilation has settled before anything is timed.
        foreach (var (_, build, list) in cases)
        {
            foreach (var query in list)
            {
                await store.SearchAsync(build(query));
            }
        }
        var perRun = cases.ToDictionary(c => c.Name, _ => new List<(double, double)>());
        var cpuPerRun = cases.ToDictionary(c => c.Name, _ => new List<(double, double)>());
        var exactScan = new List<(double, double)>();
        var ftsRuns = new List<(double, double)>();
        var ftsCpuRuns = new List<(double, double)>();
        for (var run = 0; run < runs; run++)
        {
            foreach (var (name, build, list) in cases)
            {
                var latencies = new List<double>(list.Count);
                var cpu = new List<double>(list.Count);
                foreach (var query in list)
                {
                    var (start, cpuStart) = (Stopwatch.GetTimestamp(), CpuClock.ProcessMilliseconds());
                    await store.SearchAsync(build(query));
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    cpu.Add(CpuClock.ProcessMilliseconds() - cpuStart);
                }
                perRun[name].Add(Percentiles(latencies));
                cpuPerRun[name].Add(Percentiles(cpu));
            }
            exactScan.Add(lexicalOnly ? (double.NaN, double.NaN) : Percentiles(peerSet.Select(q => Time(() => reference.Dense(q.Normalized, Top, null)))));
            var ftsLatencies = new List<double>();
            var ftsCpu = new List<double>();
            foreach (var query in fts is null ? Array.Empty<StoreQueries.Query>() : peerSet)
            {
                var (start, cpuStart) = (Stopwatch.GetTimestamp(), CpuClock.ProcessMilliseconds());
                await fts!.SearchAsync(query.Text, Top);
                ftsLatencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                ftsCpu.Add(CpuClock.ProcessMilliseconds() - cpuStart);
            }
            if (fts is not null)
            {
                ftsRuns.Add(Percentiles(ftsLatencies));
                ftsCpuRuns.Add(Percentiles(ftsCpu));
            }
        }
        foreach (var (name, values) in perRun)
        {
            result.Latency[name] = Median(values);
            result.Cpu[name] = Median(cpuPerRun[name]);
        }
        result.Cpu["FTS5 bm25 (peer)"] = fts is null ? (double.NaN, double.NaN) : Median(ftsCpuRuns);
        result.Latency["exact float32 scan (peer)"] = Median(exactScan);
        result.Latency["FTS5 bm25 (peer)"] = fts is null ? (double.NaN, double.NaN) : Median(ftsRuns);

        (result.RecallEnglish, result.RecallChinese) = (await DenseRecallAsync(store, reference, queries.English, null), await DenseRecallAsync(store, reference, queries.Chinese, null));
        (result.IdenticalEnglish, result.IdenticalChinese) = (await LexicalIdenticalAsync(store, reference, queries.English, null), await LexicalIdenticalAsync(store, reference, queries.Chinese, null));
        result.FilteredRecall = await DenseRecallAsync(store, reference, queries.English, onePercentTag);
        result.FilteredIdentical = await LexicalIdenticalAsync(store, reference, queries.English, onePercentTag);

        foreach (var (name, (p50, p99)) in result.Latency)
        {
            if (double.IsNaN(p50))
            {
                Console.WriteLine($"   {name,-26} not run");
                continue;
            }
            var cpu = result.Cpu.TryGetValue(name, out var c) ? $"   CPU per query p50 {c.P50,7:F2} ms   p99 {c.P99,7:F2} ms" : "";
            Console.WriteLine($"   {name,-26} p50 {p50,8:F2} ms   p99 {p99,8:F2} ms{cpu}");
        }
        var dense = result.Latency["dense"];
        var scan = result.Latency["exact float32 scan (peer)"];
        var lexical = Median([result.Latency["lexical en"], result.Latency["lexical zh"]]);
        var peer = result.Latency["FTS5 bm25 (peer)"];
        Console.WriteLine($"   dense vs exact float32 scan: {(double.IsNaN(scan.P50) ? "not run" : $"{Ratio(scan.P50, dense.P50)} faster at p50, {Ratio(scan.P99, dense.P99)} at p99")}; recall@10 {result.RecallEnglish:F3} (en), {result.RecallChinese:F3} (zh)");
        Console.WriteLine($"   lexical vs FTS5 bm25: {(double.IsNaN(peer.P50) ? "not run" : $"{Ratio(peer.P50, lexical.P50)} faster at p50, {Ratio(peer.P99, lexical.P99)} at p99")}; top-10 identical to exhaustive BM25: {result.IdenticalEnglish:P1} (en), {result.IdenticalChinese:P1} (zh)");
        Console.WriteLine($"   1% tag filter: dense recall@10 {result.FilteredRecall:F3}, lexical top-10 identical {result.FilteredIdentical:P1}");
        return result;
    }

    /// <summary>Share of the exact top 10 (within the filter's documents) that the store returns.</summary>
    private static async Task<double> DenseRecallAsync(IKnowledgeStore store, StoreReference reference, IReadOnlyList<StoreQueries.Query> queries, SearchFilter? filter)
    {
        var allowed = filter is null ? null : AllowedDocuments(reference, filter);
        double found = 0, wanted = 0;
        foreach (var query in queries)
        {
            var exact = reference.Dense(query.Normalized, Top, allowed).Select(h => h.Chunk).ToHashSet();
            var hits = await store.SearchAsync(query.As(SearchMode.Dense, Top) with { Filter = filter ?? SearchFilter.None });
            if (allowed is not null && hits.Any(h => !allowed.Contains(ChunkNumber(h) / StoreCorpus.ChunksPerDocument)))
            {
                throw new InvalidOperationException("A filtered dense search returned a chunk outside the filter.");
            }
            found += hits.Count(h => exact.Contains(ChunkNumber(h)));
            wanted += exact.Count;
        }
        return found / wanted;
    }

    /// <summary>Share of queries whose lexical top 10 (ids, order and scores) equals exhaustive BM25's.</summary>
    private static async Task<double> LexicalIdenticalAsync(IKnowledgeStore store, StoreReference reference, IReadOnlyList<StoreQueries.Query> queries, SearchFilter? filter)
    {
        var allowed = filter is null ? null : AllowedDocuments(reference, filter);
        var identical = 0;
        foreach (var query in queries)
        {
            var expected = reference.Bm25(query.Sparse, Top, allowed is null ? null : d => allowed.Contains(d));
            var hits = await store.SearchAsync(query.As(SearchMode.Lexical, Top) with { Filter = filter ?? SearchFilter.None });
            identical += expected.Select(e => (e.Chunk, e.Score)).SequenceEqual(hits.Select(h => (ChunkNumber(h), h.Score))) ? 1 : 0;
        }
        return (double)identical / queries.Count;
    }

    /// <summary>The corpus number of a hit's chunk: its document's content and its index (replaced documents take their content from the spare part).</summary>
    internal static int ChunkNumber(SearchHit hit) =>
        ContentOf.TryGetValue(hit.Chunk.DocumentId, out var content)
            ? content * StoreCorpus.ChunksPerDocument + hit.Chunk.Index
            : int.Parse(hit.Chunk.DocumentId[3..], CultureInfo.InvariantCulture) * StoreCorpus.ChunksPerDocument + hit.Chunk.Index;

    /// <summary>Documents whose chunks came from another place in the corpus (replaced at scale).</summary>
    private static readonly Dictionary<string, int> ContentOf = [];

    private static HashSet<long> AllowedDocuments(StoreReference reference, SearchFilter filter)
    {
        var documents = Enumerable.Range(0, reference.Count / StoreCorpus.ChunksPerDocument + 200).Select(d => (d, Record: DocumentRecord(d)));
        return documents
            .Where(d => (filter.Tags.Count == 0 || d.Record.Tags.Any(filter.Tags.Contains))
                        && (filter.Tenant is null || d.Record.Tenant == filter.Tenant)
                        && (filter.DocumentIds.Count == 0 || filter.DocumentIds.Contains(d.Record.Id)))
            .Select(d => (long)d.d).ToHashSet();
    }

    // ---- changes at scale ----

    /// <summary>
    /// The conformance suite's promises at full size: replacing and deleting 1% of the documents
    /// leaves every answer what exhaustive computation over the new state gives; deleted and
    /// replaced chunks never come back; a fresh instance answers the same.
    /// </summary>
    private static async Task CheckChangesAtScaleAsync(string path, StoreCorpus corpus, StoreQueries queries, StoreReference reference, int size, int spareDocument)
    {
        Console.WriteLine($"-- changes at {size:N0} chunks: replacing and deleting 1% of the documents");
        var documents = size / StoreCorpus.ChunksPerDocument;
        var replaced = Enumerable.Range(0, documents).Where(d => d % 100 == 50).ToList();
        var deleted = Enumerable.Range(0, documents).Where(d => d % 100 == 51).ToList();
        await using var store = await OpenAsync(path);
        var before = await store.GetStatisticsAsync();
        var timer = Stopwatch.StartNew();
        foreach (var document in replaced)
        {
            var old = corpus.ReadChunks(document * StoreCorpus.ChunksPerDocument, StoreCorpus.ChunksPerDocument).ToList();
            var content = spareDocument++;
            var replacement = corpus.ReadChunks(content * StoreCorpus.ChunksPerDocument, StoreCorpus.ChunksPerDocument).ToList();
            await store.UpsertDocumentAsync(DocumentRecord(document, hash: "v2"), replacement.Select((c, i) => Indexed(document, i, c.Text, c.Vector, c.Sparse)).ToList());
            for (var i = 0; i < old.Count; i++)
            {
                reference.Remove(document * StoreCorpus.ChunksPerDocument + i, old[i].Sparse);
            }
            for (var i = 0; i < replacement.Count; i++)
            {
                reference.Add(content * StoreCorpus.ChunksPerDocument + i, document, replacement[i].Vector, replacement[i].Sparse);
            }
            ContentOf[StoreCorpus.DocumentId(document)] = content;
        }
        foreach (var document in deleted)
        {
            var old = corpus.ReadChunks(document * StoreCorpus.ChunksPerDocument, StoreCorpus.ChunksPerDocument).ToList();
            if (!await store.DeleteDocumentAsync(StoreCorpus.DocumentId(document)))
            {
                throw new InvalidOperationException($"document {document} was not there to delete");
            }
            for (var i = 0; i < old.Count; i++)
            {
                reference.Remove(document * StoreCorpus.ChunksPerDocument + i, old[i].Sparse);
            }
        }
        Console.WriteLine($"   {replaced.Count} replaced and {deleted.Count} deleted documents in {timer.Elapsed.TotalSeconds:F1} s");

        timer.Restart();
        await store.SearchAsync(queries.English[0].As(SearchMode.Hybrid, Top));
        Console.WriteLine($"   first search after the changes (catching up): {timer.Elapsed.TotalMilliseconds:F0} ms");
        var statistics = await store.GetStatisticsAsync();
        Check(statistics.Documents == before.Documents - deleted.Count && statistics.Chunks == reference.Count,
            $"counts: {statistics.Documents} documents, {statistics.Chunks} chunks (expected {before.Documents - deleted.Count}, {reference.Count})");

        var gone = deleted.Select(StoreCorpus.DocumentId).ToHashSet();
        foreach (var query in queries.All)
        {
            foreach (var mode in Enum.GetValues<SearchMode>())
            {
                var hits = await store.SearchAsync(query.As(mode, Top));
                Check(hits.All(h => !gone.Contains(h.Chunk.DocumentId)), $"a deleted document came back in {mode} search");
                Check(hits.All(h => !ContentOf.ContainsKey(h.Chunk.DocumentId) || h.Chunk.Text == corpus.ReadChunks(ChunkNumber(h), 1).First().Text),
                    $"a replaced chunk came back in {mode} search");
            }
        }
        var identical = (await LexicalIdenticalAsync(store, reference, queries.English, null) + await LexicalIdenticalAsync(store, reference, queries.Chinese, null)) / 2;
        var recall = await DenseRecallAsync(store, reference, queries.All, null);
        var newContent = replaced.Take(20).Select(d => (Document: d, Vector: corpus.ReadChunks(ContentOf[StoreCorpus.DocumentId(d)] * StoreCorpus.ChunksPerDocument, 1).First().Vector)).ToList();
        var foundNew = 0;
        foreach (var (document, vector) in newContent)
        {
            var hit = (await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = vector, Top = 1 }))[0];
            foundNew += hit.Chunk.DocumentId == StoreCorpus.DocumentId(document) && hit.Chunk.Index == 0 ? 1 : 0;
        }
        await using var fresh = await OpenAsync(path);
        var same = 0;
        foreach (var query in queries.All.Take(50))
        {
            var a = await store.SearchAsync(query.As(SearchMode.Hybrid, Top));
            var b = await fresh.SearchAsync(query.As(SearchMode.Hybrid, Top));
            same += a.Select(h => h.Chunk.Id).SequenceEqual(b.Select(h => h.Chunk.Id)) ? 1 : 0;
        }
        Console.WriteLine($"   after the changes: lexical top-10 identical to exhaustive BM25 {identical:P1}; dense recall@10 {recall:F3}; " +
                          $"replaced chunks found by their own vector {foundNew}/{newContent.Count}; a fresh instance agrees on {same}/50 hybrid queries");
        Check(identical == 1 && foundNew == newContent.Count && same == 50, "answers after the changes differ from the exact ones");
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException("store benchmark check failed: " + problem);
        }
    }

    // ---- reporting ----

    /// <summary>A latency in ms, or "not run" for a peer this run skipped (NaN: above --fts5-up-to, or under --lexical-only).</summary>
    private static string Ms(double value, string format) => double.IsNaN(value) ? "not run" : value.ToString(format);

    /// <summary>How many times faster ours is than the peer.</summary>
    private static string Ratio(double peer, double ours) => $"{peer / ours:F1}x";

    private static void PrintTable(List<SizeResult> results)
    {
        Console.WriteLine("-- table (p50 / p99 ms; ratios are peer / ours)");
        Console.WriteLine("| chunks | write chunks/s | dense | recall@10 | exact scan (ratio) | lexical en | lexical zh | identical top-10 | FTS5 bm25 (ratio) | hybrid en | hybrid zh | hybrid, 1% tag | dense, 1% tag | lexical, 1% tag |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            string L(string name) => $"{Ms(r.Latency[name].P50, "F1")} / {Ms(r.Latency[name].P99, "F1")}";
            string Peer(string name, double ratio) => double.IsNaN(ratio) ? "not run" : $"{L(name)} ({ratio:F1}x)";
            var dense = r.Latency["dense"];
            var scan = r.Latency["exact float32 scan (peer)"];
            var lexical = Median([r.Latency["lexical en"], r.Latency["lexical zh"]]);
            var fts = r.Latency["FTS5 bm25 (peer)"];
            Console.WriteLine($"| {r.Size:N0} | {r.Write:N0} | {L("dense")} | {r.RecallEnglish:F3} en, {r.RecallChinese:F3} zh | {Peer("exact float32 scan (peer)", scan.P50 / dense.P50)} | " +
                              $"{L("lexical en")} | {L("lexical zh")} | {r.IdenticalEnglish:P0} en, {r.IdenticalChinese:P0} zh | {Peer("FTS5 bm25 (peer)", fts.P50 / lexical.P50)} | " +
                              $"{L("hybrid en")} | {L("hybrid zh")} | {L("hybrid, 1% tag")} | {L("dense, 1% tag")} | {L("lexical, 1% tag")} |");
        }
        Console.WriteLine("-- CPU per query (process CPU time, p50 / p99 ms)");
        Console.WriteLine("| chunks | " + string.Join(" | ", results[0].Cpu.Keys) + " |");
        Console.WriteLine("| --- | " + string.Join(" | ", results[0].Cpu.Keys.Select(_ => "---")) + " |");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.Size:N0} | " + string.Join(" | ", r.Cpu.Values.Select(c => $"{Ms(c.P50, "F2")} / {Ms(c.P99, "F2")}")) + " |");
        }
        foreach (var r in results)
        {
            Console.WriteLine($"   {r.Size:N0}: build {r.Build}; reopen {r.Open}");
        }
    }

    private static double Time(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    internal static (double P50, double P99) Percentiles(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        return (At(0.50), At(0.99));
    }

    private static (double P50, double P99) Median(List<(double P50, double P99)> runs) =>
        (runs.Select(r => r.P50).Order().ElementAt(runs.Count / 2), runs.Select(r => r.P99).Order().ElementAt(runs.Count / 2));
}

/// <summary>The benchmark's questions with their embeddings and BM25 query weights.</summary>
internal sealed class StoreQueries
{
    public sealed record Query(string Text, bool Chinese, float[] Vector, float[] Normalized, SparseVector Sparse)
    {
        public StoreQuery As(SearchMode mode, int top) => new() { Mode = mode, Vector = Vector, Sparse = Sparse, Top = top };
    }

    public required IReadOnlyList<Query> English { get; init; }
    public required IReadOnlyList<Query> Chinese { get; init; }
    public required IReadOnlyList<Query> All { get; init; }

    public static StoreQueries From(IReadOnlyList<RealText> questions, int perLanguage)
    {
        var encoder = new Bm25SparseEncoder();
        var all = questions.Select(q =>
        {
            var normalized = new float[q.Vector.Length];
            DenseIndex.Normalize(q.Vector, normalized);
            return new Query(q.Text, q.Chinese, q.Vector, normalized, encoder.EncodeQuery(q.Text));
        }).Where(q => q.Sparse.Count > 0).ToList();
        IReadOnlyList<Query> english = [.. all.Where(q => !q.Chinese).Take(perLanguage)];
        IReadOnlyList<Query> chinese = [.. all.Where(q => q.Chinese).Take(perLanguage)];
        return new StoreQueries { English = english, Chinese = chinese, All = [.. english, .. chinese] };
    }
}

/// <summary>The process's I/O counters from /proc/self/io (zeros elsewhere): bytes through read(2) and write(2), whether or not they reached the disk.</summary>
internal readonly record struct ProcessIo(long BytesRead, long Written, long WriteCalls)
{
    public static ProcessIo Read()
    {
        if (!File.Exists("/proc/self/io"))
        {
            return default;
        }
        var fields = File.ReadAllLines("/proc/self/io")
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1].Trim(), CultureInfo.InvariantCulture));
        return new ProcessIo(fields["rchar"], fields["wchar"], fields["syscw"]);
    }

    public static ProcessIo operator -(ProcessIo a, ProcessIo b) => new(a.BytesRead - b.BytesRead, a.Written - b.Written, a.WriteCalls - b.WriteCalls);
}

/// <summary>The process's CPU clock (all threads), to the nanosecond: per-query CPU time where wall time mostly measures the machine's load.</summary>
internal static class CpuClock
{
    private const int ProcessCpuTimeClock = 2; // CLOCK_PROCESS_CPUTIME_ID

    public static double ProcessMilliseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
        }
        ClockGetTime(ProcessCpuTimeClock, out var time);
        return time.Seconds * 1e3 + time.Nanoseconds / 1e6;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code in the bench project; this one blittable call does not.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
#pragma warning restore SYSLIB1054
}

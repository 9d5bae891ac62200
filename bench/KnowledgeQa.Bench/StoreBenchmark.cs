using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Bench;

/// <summary>
/// The embedded store: search latency (dense, lexical, hybrid) at growing sizes, memory of the
/// in-memory vectors against their raw size, and dense search against a naive scalar scan.
/// With --data DIR (the evaluation data folder) it also measures lexical retrieval quality:
/// recall@5 on DRCD and CMRC 2018 (jieba words alone and with bigrams) and nDCG@10 on SciFact.
/// Options: --sizes 10000,100000  --queries 200  --data DIR  --quality-only
/// </summary>
internal static class StoreBenchmark
{
    private const int Dimensions = 384;
    // Long documents (a manual, a book) make few large write transactions, which fill the store fastest.
    private const int ChunksPerDocument = 1000;
    private const int WordsPerChunk = 80;
    private const int Vocabulary = 30_000;
    private const int Top = 5;

    public static async Task RunAsync(string[] options)
    {
        if (Option(options, "--measure-load") is { } storePath)
        {
            await MeasureLoadInThisProcessAsync(storePath, int.Parse(Option(options, "--chunks")!, CultureInfo.InvariantCulture));
            return;
        }
        var sizes = Option(options, "--sizes")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? [10_000, 100_000];
        var queries = int.Parse(Option(options, "--queries") ?? "200", CultureInfo.InvariantCulture);
        var data = Option(options, "--data");
        if (!options.Contains("--quality-only"))
        {
            await RunSpeedAndMemoryAsync(sizes, queries);
        }
        if (data is not null)
        {
            await RunLexicalQualityAsync(data);
        }
    }

    private static async Task RunSpeedAndMemoryAsync(int[] sizes, int queryCount)
    {
        var folder = Path.Combine(Path.GetTempPath(), "kqa-bench-store-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(folder, "store.db");
        var corpus = new SyntheticCorpus(seed: 1);
        var encoder = new Bm25SparseEncoder();
        try
        {
            var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
            await store.InitializeAsync(Dimensions, "random-384");
            var written = 0;
            foreach (var size in sizes.Order())
            {
                var ingest = Stopwatch.StartNew();
                var writing = new Stopwatch();
                while (written < size)
                {
                    var documentNumber = written / ChunksPerDocument;
                    var documentId = $"doc{documentNumber:D6}";
                    var chunks = new List<IndexedChunk>(ChunksPerDocument);
                    for (var i = 0; i < ChunksPerDocument && written < size; i++, written++)
                    {
                        var text = corpus.NextText(WordsPerChunk);
                        var chunk = new Chunk { Id = Chunk.CreateId(documentId, i, text), DocumentId = documentId, Index = i, Text = text, Start = 0, End = text.Length };
                        chunks.Add(new IndexedChunk(chunk, corpus.NextVector(), encoder.EncodeDocument(text)));
                    }
                    writing.Start();
                    await store.UpsertDocumentAsync(new StoredDocument { Id = documentId, Source = documentId, ContentHash = "h", Tags = [documentNumber % 2 == 0 ? "even" : "odd"] }, chunks);
                    writing.Stop();
                }
                Console.WriteLine($"-- {size:N0} chunks x {Dimensions} dims (ingest of the new ones: {ingest.Elapsed.TotalSeconds:F1} s, " +
                                  $"of which store writes {writing.Elapsed.TotalSeconds:F1} s; file {new FileInfo(path).Length / 1e6:F0} MB)");

                // Memory is measured in a fresh process: this one's heap already grew while ingesting.
                await store.DisposeAsync();
                await MeasureLoadInChildProcessAsync(path, size);
                store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
                await store.InitializeAsync(Dimensions, "random-384");

                var queryCorpus = new SyntheticCorpus(seed: 99);
                var vectors = Enumerable.Range(0, queryCount).Select(_ => queryCorpus.NextVector()).ToArray();
                var sparse = Enumerable.Range(0, queryCount).Select(_ => encoder.EncodeQuery(queryCorpus.NextText(6))).ToArray();
                foreach (var mode in new[] { SearchMode.Dense, SearchMode.Lexical, SearchMode.Hybrid })
                {
                    var latencies = await MeasureAsync(store, mode, vectors, sparse, filter: null);
                    Console.WriteLine($"   {mode,-8} p50 {Percentile(latencies, 0.50),7:F2} ms   p99 {Percentile(latencies, 0.99),7:F2} ms");
                }
                var filtered = await MeasureAsync(store, SearchMode.Hybrid, vectors, sparse, new SearchFilter { Tags = ["even"] });
                Console.WriteLine($"   hybrid, tag filter (half the chunks): p50 {Percentile(filtered, 0.50):F2} ms   p99 {Percentile(filtered, 0.99):F2} ms");

                await CompareWithNaiveScanAsync(store, size, vectors);
            }
            await store.DisposeAsync();
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task MeasureLoadInChildProcessAsync(string storePath, int size)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(StoreBenchmark).Assembly.Location);
        }
        foreach (var argument in new[] { "store", "--measure-load", storePath, "--chunks", size.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        Console.Write(string.Join(Environment.NewLine, output.Split('\n').Where(l => l.StartsWith("   ", StringComparison.Ordinal))) + Environment.NewLine);
    }

    /// <summary>
    /// Opens the store, runs one lexical search (SQLite and the code paths warm), then measures
    /// managed heap and working set around the first dense search, which loads the vectors; the
    /// peak is sampled during the load (managed) and taken from the OS (working set).
    /// </summary>
    private static async Task MeasureLoadInThisProcessAsync(string storePath, int size)
    {
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = storePath });
        await store.InitializeAsync(Dimensions, "random-384");
        var corpus = new SyntheticCorpus(seed: 7);
        await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = new Bm25SparseEncoder().EncodeQuery(corpus.NextText(4)) });

        var process = Process.GetCurrentProcess();
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var workingSetBefore = process.WorkingSet64;
        var peakManaged = managedBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
                await Task.Delay(1);
            }
        });
        var load = Stopwatch.StartNew();
        await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = corpus.NextVector(), Top = Top });
        load.Stop();
        await sampling.CancelAsync();
        await sampler;
        var managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var workingSetAfter = process.WorkingSet64;
        var peakWorkingSet = process.PeakWorkingSet64;
        double raw = (double)size * Dimensions * sizeof(float);
        Console.WriteLine($"   load on first dense search (fresh process): {load.Elapsed.TotalSeconds:F2} s; raw vectors {raw / 1e6:F1} MB");
        Console.WriteLine($"   managed heap: +{(managedAfter - managedBefore) / 1e6:F1} MB after load ({(managedAfter - managedBefore) / raw:F2}x raw), " +
                          $"peak +{(peakManaged - managedBefore) / 1e6:F1} MB ({(peakManaged - managedBefore) / raw:F2}x)");
        Console.WriteLine($"   working set:  +{(workingSetAfter - workingSetBefore) / 1e6:F1} MB after load ({(workingSetAfter - workingSetBefore) / raw:F2}x raw), " +
                          $"process peak {peakWorkingSet / 1e6:F0} MB = +{(peakWorkingSet - workingSetBefore) / 1e6:F1} MB over the pre-load {workingSetBefore / 1e6:F0} MB " +
                          $"({(peakWorkingSet - workingSetBefore) / raw:F2}x raw)");
    }

    private static async Task<double[]> MeasureAsync(IKnowledgeStore store, SearchMode mode, float[][] vectors, SparseVector[] sparse, SearchFilter? filter)
    {
        // Enough rounds for tiered compilation to settle on optimised code.
        for (var i = 0; i < Math.Min(40, vectors.Length); i++)
        {
            await store.SearchAsync(Query(mode, vectors[i], sparse[i], filter));
        }
        var latencies = new double[vectors.Length];
        for (var i = 0; i < vectors.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var hits = await store.SearchAsync(Query(mode, vectors[i], sparse[i], filter));
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (hits.Count == 0 && mode != SearchMode.Lexical)
            {
                throw new InvalidOperationException($"{mode} search found nothing");
            }
        }
        return latencies;
    }

    private static StoreQuery Query(SearchMode mode, float[] vector, SparseVector sparse, SearchFilter? filter) => new()
    {
        Mode = mode,
        Vector = vector,
        Sparse = sparse,
        Top = Top,
        Filter = filter ?? SearchFilter.None,
    };

    /// <summary>
    /// The naive way: every vector in its own array, a scalar dot product per row, then sort all
    /// scores. Compared with the store's whole dense search (including fetching the hits' text).
    /// </summary>
    private static async Task CompareWithNaiveScanAsync(IKnowledgeStore store, int size, float[][] queries)
    {
        var corpus = new SyntheticCorpus(seed: 1);
        var rows = new float[size][];
        for (var i = 0; i < size; i++)
        {
            corpus.NextText(WordsPerChunk); // keep the random stream aligned with the ingest
            rows[i] = corpus.NextVector();
        }
        var count = Math.Min(queries.Length, 50);
        var naive = new double[count];
        var ours = new double[count];
        var agree = 0;
        var scores = new float[size];
        var order = new int[size];
        for (var q = 0; q < count; q++)
        {
            var start = Stopwatch.GetTimestamp();
            var query = queries[q];
            for (var r = 0; r < size; r++)
            {
                var row = rows[r];
                var dot = 0f;
                for (var d = 0; d < row.Length; d++)
                {
                    dot += row[d] * query[d];
                }
                scores[r] = -dot;
                order[r] = r;
            }
            Array.Sort(scores, order);
            naive[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            start = Stopwatch.GetTimestamp();
            var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Dense, Vector = query, Top = Top });
            ours[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            // Chunk i of the synthetic corpus is chunk i % ChunksPerDocument of document i / ChunksPerDocument.
            var naiveTop = order.Take(Top).Select(i => $"doc{i / ChunksPerDocument:D6}#{i % ChunksPerDocument}");
            agree += naiveTop.SequenceEqual(hits.Select(h => $"{h.Chunk.DocumentId}#{h.Chunk.Index}")) ? 1 : 0;
        }
        var naiveP50 = Percentile(naive, 0.5);
        var oursP50 = Percentile(ours, 0.5);
        Console.WriteLine($"   dense vs naive scalar scan + sort: naive p50 {naiveP50:F2} ms, store p50 {oursP50:F2} ms -> {naiveP50 / oursP50:F1}x faster; " +
                          $"same top {Top} for {agree}/{count} queries");
    }

    private static async Task RunLexicalQualityAsync(string data)
    {
        Console.WriteLine("-- lexical retrieval quality (each passage one chunk, lexical mode)");
        foreach (var set in new[] { "drcd", "cmrc2018" })
        {
            foreach (var terms in new[] { ChineseTerms.Words, ChineseTerms.WordsAndBigrams })
            {
                var (recall1, recall5, count) = await ReadingComprehensionRecallAsync(Path.Combine(data, set), new Bm25Options { ChineseTerms = terms });
                Console.WriteLine($"   {set,-9} {terms,-16} recall@1 {recall1:F3}  recall@5 {recall5:F3}  ({count} questions)");
            }
        }
        var english = await ReadingComprehensionRecallAsync(Path.Combine(data, "xquad-en"), new Bm25Options());
        Console.WriteLine($"   xquad-en  recall@1 {english.Recall1:F3}  recall@5 {english.Recall5:F3}  ({english.Count} questions)");
        var (ndcg, queries) = await SciFactNdcgAsync(Path.Combine(data, "scifact"));
        Console.WriteLine($"   scifact   nDCG@10 {ndcg:F3} ({queries} queries; published BM25 on the full test set: 0.665)");
    }

    private static async Task<(double Recall1, double Recall5, int Count)> ReadingComprehensionRecallAsync(string folder, Bm25Options options)
    {
        var encoder = new Bm25SparseEncoder(options);
        var passages = ReadJsonLines(Path.Combine(folder, "contexts.jsonl")).Select(e => (Id: e.GetProperty("id").GetString()!, Text: e.GetProperty("text").GetString()!));
        await using var index = await LexicalIndex.BuildAsync(encoder, passages);
        int first = 0, topFive = 0, count = 0;
        foreach (var question in ReadJsonLines(Path.Combine(folder, "questions.jsonl")))
        {
            var ranked = await index.SearchAsync(question.GetProperty("question").GetString()!, 5);
            var rank = ranked.IndexOf(question.GetProperty("context_id").GetString()!);
            first += rank == 0 ? 1 : 0;
            topFive += rank >= 0 ? 1 : 0;
            count++;
        }
        return ((double)first / count, (double)topFive / count, count);
    }

    private static async Task<(double Ndcg, int Queries)> SciFactNdcgAsync(string folder)
    {
        var encoder = new Bm25SparseEncoder();
        var abstracts = ReadJsonLines(Path.Combine(folder, "corpus.jsonl"))
            .Select(e => (Id: e.GetProperty("_id").GetString()!, Text: e.GetProperty("title").GetString() + " " + e.GetProperty("text").GetString()));
        await using var index = await LexicalIndex.BuildAsync(encoder, abstracts);
        var relevant = ReadJsonLines(Path.Combine(folder, "qrels.jsonl"))
            .GroupBy(e => e.GetProperty("query_id").GetString()!)
            .ToDictionary(g => g.Key, g => g.Select(e => e.GetProperty("corpus_id").GetString()!).ToHashSet());
        double total = 0;
        var queries = 0;
        foreach (var query in ReadJsonLines(Path.Combine(folder, "queries.jsonl")))
        {
            if (!relevant.TryGetValue(query.GetProperty("_id").GetString()!, out var wanted))
            {
                continue;
            }
            var ranked = await index.SearchAsync(query.GetProperty("text").GetString()!, 10);
            var dcg = ranked.Select((id, i) => wanted.Contains(id) ? 1 / Math.Log2(i + 2) : 0).Sum();
            var ideal = Enumerable.Range(0, Math.Min(10, wanted.Count)).Sum(i => 1 / Math.Log2(i + 2));
            total += dcg / ideal;
            queries++;
        }
        return (total / queries, queries);
    }

    private static IEnumerable<JsonElement> ReadJsonLines(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement);

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static string? Option(string[] options, string name)
    {
        var i = Array.IndexOf(options, name);
        return i >= 0 && i + 1 < options.Length ? options[i + 1] : null;
    }

    /// <summary>Passages as one-chunk documents in a temporary embedded store, searched lexically.</summary>
    private sealed class LexicalIndex : IAsyncDisposable
    {
        private readonly EmbeddedKnowledgeStore _store;
        private readonly Bm25SparseEncoder _encoder;
        private readonly string _path;

        private LexicalIndex(EmbeddedKnowledgeStore store, Bm25SparseEncoder encoder, string path)
        {
            _store = store;
            _encoder = encoder;
            _path = path;
        }

        public static async Task<LexicalIndex> BuildAsync(Bm25SparseEncoder encoder, IEnumerable<(string Id, string Text)> passages)
        {
            var path = Path.Combine(Path.GetTempPath(), $"kqa-bench-lexical-{Guid.NewGuid():N}.db");
            var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
            // Lexical mode only: a one-dimensional zero vector stands in for embeddings.
            await store.InitializeAsync(1, "none");
            foreach (var (id, text) in passages)
            {
                var chunk = new Chunk { Id = Chunk.CreateId(id, 0, text), DocumentId = id, Index = 0, Text = text, Start = 0, End = text.Length };
                await store.UpsertDocumentAsync(new StoredDocument { Id = id, Source = id, ContentHash = "h" }, [new IndexedChunk(chunk, new float[1], encoder.EncodeDocument(text))]);
            }
            return new LexicalIndex(store, encoder, path);
        }

        public async Task<List<string>> SearchAsync(string question, int top)
        {
            var hits = await _store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = _encoder.EncodeQuery(question), Top = top });
            return hits.Select(h => h.Chunk.DocumentId).ToList();
        }

        public async ValueTask DisposeAsync()
        {
            await _store.DisposeAsync();
            File.Delete(_path);
        }
    }

    /// <summary>
    /// Deterministic synthetic chunks: unit vectors with Gaussian components, and texts of made-up
    /// words drawn from a Zipf distribution (as word frequencies in real text are).
    /// </summary>
    private sealed class SyntheticCorpus(int seed)
    {
        private static readonly double[] Cumulative = BuildZipf();
        private readonly Random _random = new(seed);

        public float[] NextVector()
        {
            var vector = new float[Dimensions];
            var norm = 0.0;
            for (var i = 0; i < Dimensions; i++)
            {
                // Box-Muller: Gaussian components make the direction uniform on the sphere.
                var g = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
                vector[i] = (float)g;
                norm += g * g;
            }
            var scale = (float)(1 / Math.Sqrt(norm));
            for (var i = 0; i < Dimensions; i++)
            {
                vector[i] *= scale;
            }
            return vector;
        }

        public string NextText(int words)
        {
            var text = new StringBuilder();
            for (var i = 0; i < words; i++)
            {
                var rank = Array.BinarySearch(Cumulative, _random.NextDouble());
                text.Append(i == 0 ? "" : " ").Append(Word(rank < 0 ? ~rank : rank));
            }
            return text.ToString();
        }

        private static string Word(int rank)
        {
            // Letters only, so the words go through the stemmer as English words do.
            var word = new StringBuilder("w");
            do
            {
                word.Append((char)('a' + rank % 26));
                rank /= 26;
            }
            while (rank > 0);
            return word.ToString();
        }

        private static double[] BuildZipf()
        {
            var weights = Enumerable.Range(1, Vocabulary).Select(r => 1.0 / r).ToArray();
            var total = weights.Sum();
            var cumulative = new double[Vocabulary];
            var sum = 0.0;
            for (var i = 0; i < Vocabulary; i++)
            {
                sum += weights[i] / total;
                cumulative[i] = sum;
            }
            return cumulative;
        }
    }
}

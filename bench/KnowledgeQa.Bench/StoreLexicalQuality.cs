using System.Text.Json;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;

namespace KnowledgeQa.Bench;

/// <summary>
/// Lexical retrieval quality of the embedded store (each passage one chunk, lexical mode):
/// recall@1/5 on DRCD and CMRC 2018 (jieba words alone and with bigrams) and on XQuAD, nDCG@10
/// on SciFact. Run by the store suite when --data is given (skip with --no-quality).
/// </summary>
internal static class StoreLexicalQuality
{
    public static async Task RunAsync(string data)
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
            File.Delete(_path + ".search");
        }
    }
}

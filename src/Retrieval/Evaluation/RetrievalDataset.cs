using System.Text.Json;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Evaluation;

/// <summary>A query with the ids of the documents that answer it.</summary>
public sealed record EvaluationQuery(string Id, string Text, IReadOnlySet<string> RelevantDocumentIds);

/// <summary>
/// A retrieval benchmark: documents to ingest and queries with relevant document ids. Reads the
/// two layouts of the evaluation data: BEIR (corpus.jsonl, queries.jsonl, qrels.jsonl) and reading
/// comprehension (contexts.jsonl, questions.jsonl with context_id: each question's context is its
/// one relevant passage).
/// </summary>
public sealed class RetrievalDataset
{
    public required string Name { get; init; }
    public required IReadOnlyList<Document> Documents { get; init; }
    public required IReadOnlyList<EvaluationQuery> Queries { get; init; }

    public static RetrievalDataset Load(string directory, int? queryLimit = null)
    {
        if (!Directory.Exists(directory))
            throw new InvalidOptionException($"--dataset '{directory}' is not a folder.");
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        string File(string file) => Path.Combine(directory, file);

        RetrievalDataset dataset;
        if (System.IO.File.Exists(File("corpus.jsonl")) && System.IO.File.Exists(File("qrels.jsonl")))
            dataset = LoadBeir(name, File("corpus.jsonl"), File("queries.jsonl"), File("qrels.jsonl"));
        else if (System.IO.File.Exists(File("contexts.jsonl")) && System.IO.File.Exists(File("questions.jsonl")))
            dataset = LoadReadingComprehension(name, File("contexts.jsonl"), File("questions.jsonl"));
        else
            throw new InvalidOptionException(
                $"--dataset '{directory}' holds neither corpus.jsonl + queries.jsonl + qrels.jsonl nor contexts.jsonl + questions.jsonl.");

        return queryLimit is { } limit ? new RetrievalDataset { Name = name, Documents = dataset.Documents, Queries = dataset.Queries.Take(limit).ToList() } : dataset;
    }

    private static RetrievalDataset LoadBeir(string name, string corpus, string queries, string qrels)
    {
        var relevant = new Dictionary<string, HashSet<string>>();
        foreach (var row in ReadJsonLines(qrels))
        {
            if (row.TryGetProperty("score", out var score) && score.GetInt32() <= 0)
                continue;
            var query = row.GetProperty("query_id").GetString()!;
            if (!relevant.TryGetValue(query, out var set))
                relevant[query] = set = [];
            set.Add(row.GetProperty("corpus_id").GetString()!);
        }

        var documents = ReadJsonLines(corpus)
            .Select(row => CreateDocument(name, row.GetProperty("_id").GetString()!, Text(row, "title"), Text(row, "text")))
            .ToList();
        var evaluationQueries = ReadJsonLines(queries)
            .Select(row => (Id: row.GetProperty("_id").GetString()!, Text: Text(row, "text")))
            .Where(q => relevant.ContainsKey(q.Id))
            .Select(q => new EvaluationQuery(q.Id, q.Text, relevant[q.Id]))
            .ToList();
        return new RetrievalDataset { Name = name, Documents = documents, Queries = evaluationQueries };
    }

    private static RetrievalDataset LoadReadingComprehension(string name, string contexts, string questions)
    {
        var documents = ReadJsonLines(contexts)
            .Select(row => CreateDocument(name, row.GetProperty("id").GetString()!, Text(row, "title"), Text(row, "text")))
            .ToList();
        var evaluationQueries = ReadJsonLines(questions)
            .Select(row => new EvaluationQuery(
                row.GetProperty("id").GetString()!,
                Text(row, "question"),
                new HashSet<string> { row.GetProperty("context_id").GetString()! }))
            .ToList();
        return new RetrievalDataset { Name = name, Documents = documents, Queries = evaluationQueries };
    }

    /// <summary>Title and body as one passage, the way BEIR evaluates: the title is part of the text searched.</summary>
    private static Document CreateDocument(string dataset, string id, string title, string body)
    {
        var text = string.IsNullOrWhiteSpace(title) ? body : $"{title}\n{body}";
        return new Document(id, $"{dataset}/{id}", text) { Title = string.IsNullOrWhiteSpace(title) ? null : title };
    }

    private static string Text(JsonElement row, string property) =>
        row.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    internal static IEnumerable<JsonElement> ReadJsonLines(string path)
    {
        foreach (var line in System.IO.File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            using var json = JsonDocument.Parse(line);
            yield return json.RootElement.Clone();
        }
    }
}

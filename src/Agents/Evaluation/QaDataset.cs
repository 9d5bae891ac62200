using System.Text.Json;
using System.Text.Json.Serialization;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Agents.Evaluation;

/// <summary>An evaluation data set is missing, unreadable or malformed; the message names the file and line.</summary>
public sealed class EvaluationDataException(string message, Exception? inner = null) : KnowledgeQaException(message, inner);

/// <summary>A passage of a reading-comprehension set; one document of the knowledge base.</summary>
public sealed record QaContext(string Id, string? Title, string Text);

/// <summary>A question with its gold answers; no answers means it cannot be answered from the contexts.</summary>
public sealed record QaQuestion(string Id, string Question, string ContextId, IReadOnlyList<string> Answers)
{
    public bool IsAnswerable => Answers.Count > 0;
}

/// <summary>
/// A reading-comprehension set in the layout of the evaluation data (contexts.jsonl +
/// questions.jsonl linked by context_id; SQuAD-style answers). Questions marked
/// "is_impossible" or with no answers count as unanswerable.
/// </summary>
public sealed class QaDataset
{
    public const string ContextsFileName = "contexts.jsonl";
    public const string QuestionsFileName = "questions.jsonl";

    private QaDataset(string name, IReadOnlyList<QaContext> contexts, IReadOnlyList<QaQuestion> questions)
    {
        Name = name;
        Contexts = contexts;
        Questions = questions;
    }

    public string Name { get; }
    public IReadOnlyList<QaContext> Contexts { get; }
    public IReadOnlyList<QaQuestion> Questions { get; }

    /// <exception cref="EvaluationDataException">A file is missing or a line is not a valid record.</exception>
    public static QaDataset Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new EvaluationDataException($"Data set folder '{full}' does not exist.");
        }

        var contexts = ReadLines<ContextRecord>(full, ContextsFileName)
            .Select(r => new QaContext(Require(r.Record.Id, "id", r), r.Record.Title, Require(r.Record.Text, "text", r)))
            .ToList();
        var contextIds = contexts.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var questions = new List<QaQuestion>();
        foreach (var line in ReadLines<QuestionRecord>(full, QuestionsFileName))
        {
            var record = line.Record;
            var contextId = Require(record.ContextId, "context_id", line);
            if (!contextIds.Contains(contextId))
            {
                throw new EvaluationDataException($"{line.File}:{line.Number}: context_id '{contextId}' is not in {ContextsFileName}.");
            }

            var answers = record.IsImpossible == true
                ? []
                : (record.Answers ?? []).Select(a => a.Text).Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).Distinct().ToList();
            questions.Add(new QaQuestion(Require(record.Id, "id", line), Require(record.Question, "question", line), contextId, answers));
        }

        return new QaDataset(Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)), contexts, questions);
    }

    /// <summary>
    /// The contexts as documents for ingestion: document id = context id, as the evaluator expects;
    /// contexts in <paramref name="except"/> (held out) are left out.
    /// </summary>
    public IEnumerable<Document> ToDocuments(IReadOnlySet<string>? except = null) =>
        Contexts.Where(c => except is null || !except.Contains(c.Id))
            .Select(c => new Document(c.Id, $"{Name}/{c.Id}", c.Text) { Title = c.Title, MediaType = "text/plain" });

    /// <summary>
    /// Every <paramref name="every"/>-th context (deterministic), to leave out of the knowledge base
    /// so that its questions become unanswerable ones (<see cref="QaEvaluationOptions.HeldOutContexts"/>).
    /// </summary>
    public IReadOnlySet<string> SelectHeldOutContexts(int every)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 2);
        return Contexts.Where((_, i) => i % every == every - 1).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
    }

    private static string Require<T>(string? value, string field, Line<T> line) =>
        string.IsNullOrEmpty(value) ? throw new EvaluationDataException($"{line.File}:{line.Number}: the record has no \"{field}\".") : value;

    private sealed record Line<T>(string File, int Number, T Record);

    private static IEnumerable<Line<T>> ReadLines<T>(string directory, string fileName)
    {
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            throw new EvaluationDataException(
                $"Data set folder '{directory}' lacks {fileName}; a reading-comprehension set needs {ContextsFileName} and {QuestionsFileName}.");
        }

        var number = 0;
        foreach (var text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            T? record;
            try
            {
                record = JsonSerializer.Deserialize<T>(text);
            }
            catch (JsonException e)
            {
                throw new EvaluationDataException($"{path}:{number}: not a JSON record ({e.Message}).", e);
            }

            yield return new Line<T>(path, number, record ?? throw new EvaluationDataException($"{path}:{number}: empty record."));
        }
    }

    private sealed class ContextRecord
    {
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("title")] public string? Title { get; set; }
        [JsonPropertyName("text")] public string? Text { get; set; }
    }

    private sealed class QuestionRecord
    {
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("question")] public string? Question { get; set; }
        [JsonPropertyName("context_id")] public string? ContextId { get; set; }
        [JsonPropertyName("answers")] public List<AnswerRecord>? Answers { get; set; }
        [JsonPropertyName("is_impossible")] public bool? IsImpossible { get; set; }
    }

    private sealed class AnswerRecord
    {
        [JsonPropertyName("text")] public string? Text { get; set; }
    }
}

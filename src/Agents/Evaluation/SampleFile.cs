using System.Text.Json;

namespace KnowledgeQa.Agents.Evaluation;

/// <summary>
/// The samples a fitter collected, one JSON line each, so a fit can be repeated (--reuse-samples)
/// without searching the sets again.
/// </summary>
internal static class SampleFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Save<T>(string path, IEnumerable<T> samples)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, samples.Select(s => JsonSerializer.Serialize(s, Json)));
    }

    public static IEnumerable<T> Load<T>(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<T>(l, Json) ?? throw new EvaluationDataException($"{path}: empty sample line."));
}

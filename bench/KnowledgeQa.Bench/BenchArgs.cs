using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Bench;

/// <summary>Reads "--name value" pairs from the arguments after the suite names.</summary>
internal static class BenchArgs
{
    public static string? String(string[] options, string name)
    {
        var index = Array.IndexOf(options, name);
        return index >= 0 && index + 1 < options.Length ? options[index + 1] : null;
    }

    public static int Int(string[] options, string name, int fallback) =>
        String(options, name) is { } value ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

/// <summary>Deterministic English-like text for benchmarks that run without a data folder.</summary>
internal static class SyntheticText
{
    private static readonly string[] Words =
    [
        "battery", "charge", "motor", "warranty", "frame", "brake", "range", "display", "sensor", "error",
        "service", "ride", "speed", "cycle", "capacity", "temperature", "level", "assist", "tyre", "pressure",
        "the", "a", "of", "and", "to", "in", "is", "for", "with", "on", "when", "after", "before", "about",
    ];

    public static string Paragraph(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)])) + ".";

    public static IEnumerable<Document> Documents(int count, int seed = 7)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var text = string.Join("\n\n", Enumerable.Range(0, 3).Select(_ => Paragraph(random, 60 + random.Next(60))));
            yield return new Document($"doc{i:D5}", $"doc{i:D5}.txt", text);
        }
    }
}

/// <summary>The machine's load average (1, 5, 15 minutes), printed with every figure: the machine is shared.</summary>
internal static class LoadAverage
{
    public static string Read()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

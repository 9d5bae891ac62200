using System.Globalization;
using System.Text;
using KnowledgeQa.Agents.Evaluation;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Writes fitted models as C# initialisers and puts them into the fitted block of the file that
/// defines them (between <c>// FITTED-BEGIN</c> and <c>// FITTED-END</c>), so a refit is a command
/// (<c>kqa eval fit-relevance</c>, <c>kqa eval fit-sentences</c>) rather than hand-copied numbers.
/// </summary>
internal static class FittedSource
{
    /// <summary><c>public static TYPE NAME { get; } = new() { A = 1.5, ... };</c>, wrapped at 130 columns.</summary>
    public static string Initialiser(string type, string name, IEnumerable<(string Name, double Value)> values)
    {
        var text = new StringBuilder($"    public static {type} {name} {{ get; }} = new()\n    {{\n");
        var line = new StringBuilder("       ");
        foreach (var (field, value) in values)
        {
            var part = string.Create(CultureInfo.InvariantCulture, $"{field} = {value:0.###}");
            if (line.Length + part.Length > 130)
            {
                text.Append(line).Append('\n');
                line.Clear().Append("       ");
            }
            line.Append(' ').Append(part).Append(',');
        }

        return text.Append(line).Append("\n    };\n").ToString();
    }

    /// <summary>Replaces the named initialisers of <paramref name="type"/> inside the fitted block of <paramref name="path"/>; others keep theirs.</summary>
    public static void Replace(string path, string type, IEnumerable<(string Name, string Code)> models)
    {
        var source = File.ReadAllText(path);
        const string begin = "// FITTED-BEGIN\n", end = "    // FITTED-END";
        var start = source.IndexOf(begin, StringComparison.Ordinal);
        var stop = start < 0 ? -1 : source.IndexOf(end, start, StringComparison.Ordinal);
        if (start < 0 || stop < start)
            throw new EvaluationDataException($"{path} has no // FITTED-BEGIN ... // FITTED-END block to replace.");
        var block = source[(start + begin.Length)..stop];
        foreach (var (name, code) in models)
        {
            var head = $"    public static {type} {name} {{ get; }} = new()";
            var at = block.IndexOf(head, StringComparison.Ordinal);
            var close = at < 0 ? -1 : block.IndexOf("    };\n", at, StringComparison.Ordinal);
            if (close < 0)
                throw new EvaluationDataException($"{path}: the fitted block has no initialiser of {type} {name} to replace.");
            block = block[..at] + code + block[(close + "    };\n".Length)..];
        }

        File.WriteAllText(path, source[..(start + begin.Length)] + block + source[stop..]);
    }
}

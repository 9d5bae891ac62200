using System.Collections.Frozen;
using System.Text;

namespace KnowledgeQa.Retrieval.Lexical;

/// <summary>
/// Folds traditional Chinese characters to simplified ones (電池 -> 电池) before segmentation, so a
/// question in one script finds passages in the other, and jieba.NET (whose dictionary is mostly
/// simplified) segments traditional text with the same words. Only lexical terms are folded; the
/// stored text keeps its own script. The table is OpenCC's character table (tools/make-ts-characters.sh).
/// </summary>
public static class ChineseScriptFolding
{
    private const string ResourceName = "KnowledgeQa.Retrieval.Lexical.Resources.ts-characters.txt";

    private static readonly Lazy<FrozenDictionary<int, int>> Table = new(Load);

    public static string ToSimplified(string text)
    {
        var table = Table.Value;
        StringBuilder? folded = null;
        var position = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (table.TryGetValue(rune.Value, out var simplified))
            {
                folded ??= new StringBuilder(text.Length).Append(text, 0, position);
                folded.Append(new Rune(simplified).ToString());
            }
            else
            {
                folded?.Append(rune.ToString());
            }
            position += rune.Utf16SequenceLength;
        }
        return folded?.ToString() ?? text;
    }

    private static FrozenDictionary<int, int> Load()
    {
        using var stream = typeof(ChineseScriptFolding).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from KnowledgeQa.Retrieval");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var table = new Dictionary<int, int>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var parts = line.Split(' ');
            if (parts.Length == 2 && Rune.TryGetRuneAt(parts[0], 0, out var from) && Rune.TryGetRuneAt(parts[1], 0, out var to))
                table[from.Value] = to.Value;
        }
        return table.ToFrozenDictionary();
    }
}

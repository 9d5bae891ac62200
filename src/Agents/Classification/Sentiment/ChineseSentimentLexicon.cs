using System.Globalization;
using System.Reflection;

namespace KnowledgeQa.Agents.Classification;

/// <summary>
/// Scores the polarity of Chinese text with a hand-written lexicon of sentiment words, negators and
/// intensifiers (zh-sentiment-lexicon.txt, embedded). The text is scanned by forward maximum
/// matching against the lexicon, so no segmenter is needed; a negator or intensifier acts on the
/// next sentiment word of its clause if it follows closely. The result is a plain sum of weights:
/// above 0 positive, below 0 negative, 0 when no sentiment word was found. (Weighting the part
/// after a contrast word such as "但是" more, or negative words more, was measured and lowered
/// accuracy on both Chinese review sets, so neither is done.)
/// </summary>
public sealed class ChineseSentimentLexicon
{
    private const string ResourceName = "KnowledgeQa.Agents.Classification.Sentiment.zh-sentiment-lexicon.txt";

    /// <summary>How many unmatched characters a negator or intensifier may sit before its word.</summary>
    private const int ModifierReach = 2;

    private static readonly Lazy<ChineseSentimentLexicon> LazyDefault = new(LoadDefault);

    private readonly Dictionary<string, Entry> _entries;
    private readonly int _longest;

    private ChineseSentimentLexicon(Dictionary<string, Entry> entries)
    {
        _entries = entries;
        _longest = entries.Keys.Max(k => k.Length);
    }

    /// <summary>The lexicon shipped with the library.</summary>
    public static ChineseSentimentLexicon Default => LazyDefault.Value;

    public int WordCount => _entries.Values.Count(e => e.Kind == EntryKind.Word);

    public static ChineseSentimentLexicon Parse(TextReader reader)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        string? section = null;
        string? line;
        var number = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            number++;
            line = line.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('[') && line.EndsWith(']')) { section = line[1..^1]; continue; }
            var parts = line.Split('\t');
            double Weight() => parts.Length > 1 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w)
                ? w : throw new FormatException($"lexicon line {number}: '{line}' needs a number after a tab.");
            entries[parts[0]] = section switch
            {
                "words" => new Entry(EntryKind.Word, Weight()),
                "negators" => new Entry(EntryKind.Negator, 0),
                "intensifiers" => new Entry(EntryKind.Intensifier, Weight()),
                _ => throw new FormatException($"lexicon line {number}: '{line}' is outside a known section."),
            };
        }
        return new ChineseSentimentLexicon(entries);
    }

    /// <summary>The summed polarity of <paramref name="text"/> and the number of sentiment words it contains.</summary>
    public (double Score, int Hits) Score(string text)
    {
        double total = 0;
        var hits = 0;
        var negated = false;
        var intensity = 1.0;
        var reach = -1; // characters the pending modifiers may still skip; -1 when none is pending
        for (var i = 0; i < text.Length;)
        {
            if (IsClauseEnd(text[i])) { negated = false; intensity = 1; reach = -1; i++; continue; }
            var (length, entry) = LongestMatch(text, i);
            if (length == 0)
            {
                if (reach >= 0 && --reach < 0) { negated = false; intensity = 1; }
                i++;
                continue;
            }
            switch (entry.Kind)
            {
                case EntryKind.Word:
                    var weight = entry.Weight * intensity;
                    // "不好" is nearly as bad as "差", but "不贵" is only mildly good.
                    if (negated) weight = weight > 0 ? -0.9 * weight : -0.5 * weight;
                    total += weight;
                    hits++;
                    negated = false;
                    intensity = 1;
                    reach = -1;
                    break;
                case EntryKind.Negator:
                    negated = !negated;
                    reach = ModifierReach;
                    break;
                case EntryKind.Intensifier:
                    intensity *= entry.Weight;
                    reach = ModifierReach;
                    break;
            }
            i += length;
        }
        return (total, hits);
    }

    private (int Length, Entry Entry) LongestMatch(string text, int start)
    {
        for (var length = Math.Min(_longest, text.Length - start); length > 0; length--)
            if (_entries.TryGetValue(text.Substring(start, length), out var entry)) return (length, entry);
        return (0, default);
    }

    private static bool IsClauseEnd(char c) => c is '，' or '。' or '！' or '？' or '；' or '、' or ',' or '.' or '!' or '?' or ';' or '~' or '～' or '\n' or '…';

    private static ChineseSentimentLexicon LoadDefault()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }

    private enum EntryKind { Word, Negator, Intensifier }

    private readonly record struct Entry(EntryKind Kind, double Weight);
}

using System.Text.RegularExpressions;

namespace KnowledgeQa.Agents.Answering;

/// <summary>
/// Finds the passage numbers an answer cites: [1], [2][3], [1, 2], [1-3], full-width ［1］ and
/// 【1】, full-width digits. Numbers outside 1..passageCount are ignored (a model inventing [7]
/// for five passages cites nothing).
/// </summary>
public static partial class CitationParser
{
    [GeneratedRegex(@"[\[［【]\s*(\p{Nd}+(?:\s*(?:[,，、;；]|[-–~～])\s*\p{Nd}+)*)\s*[\]］】]")]
    private static partial Regex Marker();

    [GeneratedRegex(@"\p{Nd}+|[-–~～]")]
    private static partial Regex Part();

    /// <summary>The distinct cited numbers, in order of first appearance.</summary>
    public static IReadOnlyList<int> Parse(string text, int passageCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        var numbers = new List<int>();
        foreach (var marker in Markers(text, passageCount))
        {
            foreach (var number in marker.Numbers)
            {
                if (!numbers.Contains(number))
                {
                    numbers.Add(number);
                }
            }
        }

        return numbers;
    }

    /// <summary>A citation marker: where it is in the text and the valid numbers it cites.</summary>
    public readonly record struct CitationMarker(int Index, int Length, IReadOnlyList<int> Numbers);

    /// <summary>Every marker citing at least one valid number, in text order.</summary>
    public static IReadOnlyList<CitationMarker> Markers(string text, int passageCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        var markers = new List<CitationMarker>();
        foreach (Match marker in Marker().Matches(text))
        {
            var numbers = new List<int>();
            int? previous = null;
            var range = false;
            foreach (Match part in Part().Matches(marker.Groups[1].Value))
            {
                if (!char.IsDigit(part.Value[0]))
                {
                    range = true;
                    continue;
                }

                var number = ParseDigits(part.Value);
                if (range && previous is int from && number >= from && number - from <= passageCount)
                {
                    for (var n = from + 1; n <= number; n++)
                    {
                        Add(numbers, n, passageCount);
                    }
                }
                else
                {
                    Add(numbers, number, passageCount);
                }

                previous = number;
                range = false;
            }

            if (numbers.Count > 0)
            {
                markers.Add(new CitationMarker(marker.Index, marker.Length, numbers));
            }
        }

        return markers;
    }

    private static void Add(List<int> numbers, int number, int passageCount)
    {
        if (number >= 1 && number <= passageCount && !numbers.Contains(number))
        {
            numbers.Add(number);
        }
    }

    private static int ParseDigits(string digits)
    {
        var value = 0;
        foreach (var c in digits)
        {
            value = checked(value * 10 + (int)char.GetNumericValue(c));
            if (value > 100_000)
            {
                return -1;
            }
        }

        return value;
    }
}

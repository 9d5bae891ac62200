using KnowledgeQa.Retrieval;
using System.Text;
using System.Text.Json.Serialization;

namespace KnowledgeQa.Agents.Classification;

/// <summary>Settings of the hashed n-gram features; saved with a trained classifier so loading rebuilds the same features.</summary>
public sealed record LexicalFeatureSettings
{
    /// <summary>Hash buckets (a power of two); collisions are rare below ~10% load.</summary>
    [JsonPropertyName("buckets")]
    public int Buckets { get; init; } = 1 << 18;

    /// <summary>Word n-grams from 1 to this (alphabetic scripts).</summary>
    [JsonPropertyName("maxWordNgram")]
    public int MaxWordNgram { get; init; } = 2;

    /// <summary>CJK character n-grams from 1 to this: bigrams stand in for Chinese words without a segmenter.</summary>
    [JsonPropertyName("maxCjkNgram")]
    public int MaxCjkNgram { get; init; } = 2;
}

/// <summary>
/// Turns a text into a sparse, L2-normalised TF-IDF vector over hashed n-grams (sublinear term
/// frequency). The IDF table is fitted on training texts; buckets never seen in training get the
/// largest IDF, which does not matter for scoring (their weights are zero) but keeps norms comparable.
/// </summary>
public sealed class HashedLexicalFeatures
{
    private readonly Dictionary<int, float> _idf;
    private readonly float _unseenIdf;

    private HashedLexicalFeatures(LexicalFeatureSettings settings, Dictionary<int, float> idf, float unseenIdf)
    {
        Settings = settings;
        _idf = idf;
        _unseenIdf = unseenIdf;
    }

    public LexicalFeatureSettings Settings { get; }

    internal IReadOnlyDictionary<int, float> Idf => _idf;

    internal float UnseenIdf => _unseenIdf;

    public static HashedLexicalFeatures Fit(IEnumerable<string> texts, LexicalFeatureSettings? settings = null)
    {
        settings ??= new LexicalFeatureSettings();
        Validate(settings);
        var documentFrequency = new Dictionary<int, int>();
        var n = 0;
        foreach (var text in texts)
        {
            n++;
            foreach (var bucket in Buckets(text, settings).Keys)
                documentFrequency[bucket] = documentFrequency.GetValueOrDefault(bucket) + 1;
        }
        // Smooth IDF, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1.
        var idf = documentFrequency.ToDictionary(p => p.Key, p => (float)(Math.Log((1.0 + n) / (1.0 + p.Value)) + 1));
        return new HashedLexicalFeatures(settings, idf, (float)(Math.Log(1.0 + n) + 1));
    }

    internal static HashedLexicalFeatures Restore(LexicalFeatureSettings settings, Dictionary<int, float> idf, float unseenIdf)
    {
        Validate(settings);
        return new HashedLexicalFeatures(settings, idf, unseenIdf);
    }

    public SparseFeatures Transform(string text)
    {
        var counts = Buckets(text, Settings);
        var indices = counts.Keys.Order().ToArray();
        var values = new float[indices.Length];
        var norm = 0.0;
        for (var i = 0; i < indices.Length; i++)
        {
            var v = (float)(1 + Math.Log(counts[indices[i]])) * _idf.GetValueOrDefault(indices[i], _unseenIdf);
            values[i] = v;
            norm += v * v;
        }
        if (norm > 0)
        {
            var scale = (float)(1 / Math.Sqrt(norm));
            for (var i = 0; i < values.Length; i++) values[i] *= scale;
        }
        return new SparseFeatures(indices, values);
    }

    /// <summary>The n-grams of a text as strings (for inspection and for tests).</summary>
    public static IEnumerable<string> Ngrams(string text, LexicalFeatureSettings settings)
    {
        var units = LexicalTokenizer.Split(text);
        var sb = new StringBuilder();
        for (var i = 0; i < units.Count; i++)
        {
            var max = units[i].IsCjk ? settings.MaxCjkNgram : settings.MaxWordNgram;
            for (var n = 1; n <= max && i + n <= units.Count; n++)
            {
                if (units[i + n - 1].IsCjk != units[i].IsCjk) break;
                sb.Clear();
                // A prefix keeps a word n-gram and a CJK n-gram of the same spelling apart.
                sb.Append(units[i].IsCjk ? 'c' : 'w').Append(n).Append(':');
                for (var j = 0; j < n; j++)
                {
                    if (j > 0 && !units[i].IsCjk) sb.Append(' ');
                    sb.Append(units[i + j].Text);
                }
                yield return sb.ToString();
            }
        }
    }

    private static Dictionary<int, int> Buckets(string text, LexicalFeatureSettings settings)
    {
        var counts = new Dictionary<int, int>();
        var mask = settings.Buckets - 1;
        foreach (var gram in Ngrams(text, settings))
        {
            var bucket = (int)(Fnv1a(gram) & (uint)mask);
            counts[bucket] = counts.GetValueOrDefault(bucket) + 1;
        }
        return counts;
    }

    /// <summary>FNV-1a over UTF-16 code units: stable across processes and platforms, unlike string.GetHashCode.</summary>
    internal static uint Fnv1a(string s)
    {
        var hash = 2166136261u;
        foreach (var c in s)
        {
            hash = (hash ^ (byte)c) * 16777619u;
            hash = (hash ^ (byte)(c >> 8)) * 16777619u;
        }
        return hash;
    }

    private static void Validate(LexicalFeatureSettings settings)
    {
        if (settings.Buckets < 2 || (settings.Buckets & (settings.Buckets - 1)) != 0)
            throw new InvalidOptionException($"Lexical feature buckets must be a power of two; got {settings.Buckets}.");
        if (settings.MaxWordNgram < 1 || settings.MaxCjkNgram < 1)
            throw new InvalidOptionException("Lexical n-gram lengths must be at least 1.");
    }
}

/// <summary>A sparse vector: sorted bucket indices and their values.</summary>
public readonly record struct SparseFeatures(int[] Indices, float[] Values)
{
    public static SparseFeatures Empty { get; } = new([], []);
}

using System.Collections.Frozen;
using KnowledgeQa.Agents.Classification;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Clustering;

/// <summary>
/// Finds the terms that characterise each cluster with class-based TF-IDF (c-TF-IDF, as in BERTopic):
/// all texts of a cluster form one document; a term scores by its frequency in that document times
/// log(1 + average words per cluster / the term's frequency over all clusters). Terms are readable
/// words, not stems: lower-cased English words minus stop words, and Chinese words from the lexical
/// encoder's segmenter (jieba), or character bigrams without one.
/// </summary>
public sealed class ClusterTermExtractor(ILexicalEncoder? chineseSegmenter = null)
{
    /// <summary>Function words that would otherwise top every English cluster.</summary>
    private static readonly FrozenSet<string> EnglishStopWords = FrozenSet.ToFrozenSet(
    [
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do",
        "does", "doing", "down", "during", "each", "even", "few", "for", "from", "further", "get", "got", "had", "has",
        "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
        "is", "it", "it's", "its", "itself", "just", "me", "more", "most", "much", "my", "myself", "new", "no", "nor",
        "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out", "over",
        "own", "said", "same", "says", "she", "should", "so", "some", "still", "such", "than", "that", "the", "their",
        "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "two", "under", "until", "up", "us", "very", "was", "we", "were", "what", "when", "where", "which", "while",
        "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "s", "t",
        "n't", "'s", "don't", "didn't", "doesn't", "isn't", "wasn't", "won't", "can't", "i'm", "i've", "it'll",
        "first", "last", "year", "years", "week", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    ], StringComparer.Ordinal);

    /// <summary>Chinese function words (segmented words of one or two characters that say nothing about a topic).</summary>
    private static readonly FrozenSet<string> ChineseStopWords = FrozenSet.ToFrozenSet(
    [
        "我们", "你们", "他们", "她们", "它们", "这个", "那个", "这些", "那些", "这样", "那样", "一个", "没有", "就是",
        "还是", "但是", "因为", "所以", "如果", "可以", "已经", "而且", "不过", "然后", "自己", "什么", "怎么", "时候",
        "觉得", "感觉", "比较", "非常", "这里", "那里", "还有", "一下", "一些", "可能", "应该", "知道",
    ], StringComparer.Ordinal);

    /// <summary>The terms of one text, in order.</summary>
    public IReadOnlyList<string> Terms(string text)
    {
        var terms = new List<string>();
        var units = LexicalTokenizer.Split(text);
        for (var i = 0; i < units.Count;)
        {
            if (!units[i].IsCjk)
            {
                var word = units[i++].Text;
                if (word.Length >= 2 && !EnglishStopWords.Contains(word) && !word.All(char.IsDigit)) terms.Add(word);
                continue;
            }
            var start = i;
            while (i < units.Count && units[i].IsCjk) i++;
            var run = string.Concat(units.Skip(start).Take(i - start).Select(u => u.Text));
            terms.AddRange(ChineseTerms(run));
        }
        return terms;
    }

    private IEnumerable<string> ChineseTerms(string run)
    {
        if (chineseSegmenter is not null)
        {
            // Single characters and the encoder's marked bigrams are dropped: readable words remain.
            foreach (var term in chineseSegmenter.Tokenize(run))
                if (term.Length >= 2 && char.IsLetter(term[0]) && !ChineseStopWords.Contains(term)) yield return term;
            yield break;
        }
        for (var i = 0; i + 1 < run.Length; i++)
        {
            var bigram = run.Substring(i, 2);
            if (!ChineseStopWords.Contains(bigram)) yield return bigram;
        }
    }

    /// <summary>The <paramref name="top"/> highest c-TF-IDF terms of each cluster (clusters numbered 0..k-1).</summary>
    public IReadOnlyList<IReadOnlyList<(string Term, double Score)>> Extract(IReadOnlyList<string> texts, IReadOnlyList<int> assignments, int k, int top)
    {
        var counts = new Dictionary<string, int>[k];
        for (var c = 0; c < k; c++) counts[c] = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < texts.Count; i++)
            foreach (var term in Terms(texts[i]))
                counts[assignments[i]][term] = counts[assignments[i]].GetValueOrDefault(term) + 1;

        var overall = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var cluster in counts)
            foreach (var (term, count) in cluster)
                overall[term] = overall.GetValueOrDefault(term) + count;
        var averageWords = counts.Average(c => (double)c.Values.Sum());

        var result = new List<IReadOnlyList<(string, double)>>(k);
        foreach (var cluster in counts)
        {
            var words = Math.Max(1, cluster.Values.Sum());
            result.Add(cluster
                .Select(p => (Term: p.Key, Score: (double)p.Value / words * Math.Log(1 + averageWords / overall[p.Key])))
                .OrderByDescending(t => t.Score).ThenBy(t => t.Term, StringComparer.Ordinal)
                .Take(top)
                .ToArray());
        }
        return result;
    }
}

using System.Text;
using System.Text.RegularExpressions;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Agents.Answering;

/// <summary>An extracted sentence, the passage it came from ([n]) and its score.</summary>
public sealed record ExtractedSentence(string Text, int PassageNumber, double Score);

/// <summary>
/// Answers without a chat model: picks the 1-3 sentences of the top passages that best match the
/// question and cites each. A sentence scores by the question terms it contains, weighted by how
/// rare each term is among the candidate sentences (idf), favouring sentences that also say
/// something the question does not (the answer) and, slightly, higher-ranked passages.
/// </summary>
public sealed partial class ExtractiveAnswerer(ContentTerms terms, AnswerOptions options)
{
    // Questions after a number or date: a sentence with digits is more likely to hold the answer.
    [GeneratedRegex(@"\b(when|what year|how (many|much|long|old|far|big|tall|large)|what (date|time|percentage|number))\b|多少|几|幾|哪一年|哪年|何时|何時|什么时候|什麼時候|甚麼時候|何年|多久|多大|多高|多长|多長|多远|多遠",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AsksForNumber();

    // A sentence that opens with a pronoun or a demonstrative refers back to the one before.
    [GeneratedRegex(@"^(?:(?:he|she|it|they|his|her|its|their|this|these|those|there)\b|[他她它其该該此这這])", RegexOptions.IgnoreCase)]
    private static partial Regex StartsWithReference();

    [GeneratedRegex(@"\p{Nd}|[一二三四五六七八九十百千万萬亿億两兩]")]
    private static partial Regex HasNumber();

    /// <summary>The chosen sentences, best first; empty when there is nothing to extract.</summary>
    public IReadOnlyList<ExtractedSentence> Select(string question, IReadOnlyList<SearchHit> passages)
    {
        var questionTerms = terms.Of(question);
        var wantsNumber = AsksForNumber().IsMatch(question);
        var candidates = new List<Candidate>();
        for (var p = 0; p < Math.Min(passages.Count, options.ExtractivePassages); p++)
        {
            var passageTerms = terms.AllOf(RelevanceFilter.PassageText(passages[p]));
            HashSet<string> previous = [];
            string? previousText = null;
            foreach (var sentence in SentenceSplitter.Split(passages[p].Chunk.Text))
            {
                var sentenceTerms = terms.AllOf(sentence.Text);
                if (sentenceTerms.Count > 0)
                {
                    candidates.Add(new Candidate(sentence, p, sentenceTerms, previous, passageTerms, previousText));
                    previous = sentenceTerms;
                    previousText = sentence.Text;
                }
            }
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        // Rare terms among the candidates tell sentences apart; a term in every sentence tells nothing.
        var idf = questionTerms.ToDictionary(
            t => t,
            t => Math.Log(1 + candidates.Count / (0.5 + candidates.Count(c => c.Terms.Contains(t)))));
        var totalWeight = idf.Values.Sum();

        var scored = new List<ExtractedSentence>();
        foreach (var candidate in candidates)
        {
            var overlap = totalWeight > 0 ? questionTerms.Sum(t => idf[t] * Presence(t, candidate)) / totalWeight : 0;
            var newTerms = candidate.Terms.Count(t => terms.IsContent(t) && !idf.ContainsKey(t));
            var novelty = Math.Min(1.0, newTerms / 3.0);
            var score = overlap * (0.7 + 0.3 * novelty) + 0.1 / (1 + candidate.Passage);
            if (wantsNumber && overlap > 0 && HasNumber().IsMatch(candidate.Sentence.Text))
            {
                score += 0.1;
            }

            // "He is the oldest quarterback ..." names its subject in the sentence before: show both.
            var text = candidate.PreviousText is { } previousText && StartsWithReference().IsMatch(candidate.Sentence.Text)
                ? previousText + SentenceJoiner(candidate.Sentence.Text) + candidate.Sentence.Text
                : candidate.Sentence.Text;
            scored.Add(new ExtractedSentence(text, candidate.Passage + 1, score));
        }

        var ranked = scored.OrderByDescending(s => s.Score).ThenBy(s => s.PassageNumber).ToList();
        var best = ranked[0];
        var chosen = new List<ExtractedSentence> { best };
        foreach (var next in ranked.Skip(1))
        {
            if (chosen.Count >= options.MaxExtractiveSentences || next.Score < best.Score * options.ExtractiveSentenceRatio)
            {
                break;
            }

            // A sentence shown with its predecessor may overlap one chosen on its own.
            if (!chosen.Any(c => c.Text.Contains(next.Text, StringComparison.Ordinal) || next.Text.Contains(c.Text, StringComparison.Ordinal)))
            {
                chosen.Add(next);
            }
        }

        return chosen;
    }

    /// <summary>
    /// How much a question term counts for a sentence: fully when the sentence has it; half when
    /// the sentence before has it ("The tower ... . It was completed in 1889."); a quarter when the
    /// passage (or its title) has it elsewhere, as the sentence is likely about the same subject.
    /// </summary>
    private static double Presence(string term, Candidate candidate) =>
        candidate.Terms.Contains(term) ? 1.0
        : candidate.Previous.Contains(term) ? 0.5
        : candidate.PassageTerms.Contains(term) ? 0.25
        : 0.0;

    private sealed record Candidate(
        Sentence Sentence, int Passage, HashSet<string> Terms, HashSet<string> Previous, HashSet<string> PassageTerms, string? PreviousText);

    private static string SentenceJoiner(string next) => next.Length > 0 && ScriptDetector.IsCjk(next[0]) ? "" : " ";

    /// <summary>The answer text: each sentence followed by its citation marker.</summary>
    public static string Compose(IReadOnlyList<ExtractedSentence> sentences, AnswerTexts texts)
    {
        var text = new StringBuilder();
        foreach (var sentence in sentences)
        {
            if (text.Length > 0)
            {
                text.Append(texts.SentenceSeparator);
            }

            // CJK text has no spaces between words, so none before the marker either.
            text.Append(sentence.Text).Append(texts.SentenceSeparator.Length > 0 ? " [" : "[").Append(sentence.PassageNumber).Append(']');
        }

        return text.ToString();
    }
}

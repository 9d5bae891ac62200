using System.Text.RegularExpressions;
using KnowledgeQa.Agents.Text;
using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>
/// A stand-in lexical encoder: lower-cased Latin words with a trailing plural "s" dropped, CJK text
/// as single characters. Enough to test orchestration; the answerer is meant to run on the real
/// BM25 encoder, whose terms it uses the same way.
/// </summary>
internal sealed partial class SimpleLexicalEncoder : ILexicalEncoder
{
    [GeneratedRegex(@"[\p{L}\p{Nd}]+")]
    private static partial Regex Word();

    public IReadOnlyList<string> Tokenize(string text)
    {
        var terms = new List<string>();
        foreach (Match match in Word().Matches(text))
        {
            var word = match.Value.ToLowerInvariant();
            var latin = new System.Text.StringBuilder();
            foreach (var c in word)
            {
                if (ScriptDetector.IsCjk(c))
                {
                    Flush(latin, terms);
                    terms.Add(c.ToString());
                }
                else
                {
                    latin.Append(c);
                }
            }

            Flush(latin, terms);
        }

        return terms;
    }

    public SparseVector EncodeDocument(string text) => throw new NotSupportedException("not needed by the answerer");

    public SparseVector EncodeQuery(string text) => throw new NotSupportedException("not needed by the answerer");

    private static void Flush(System.Text.StringBuilder latin, List<string> terms)
    {
        if (latin.Length == 0)
        {
            return;
        }

        var word = latin.ToString();
        terms.Add(word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss") ? word[..^1] : word);
        latin.Clear();
    }
}

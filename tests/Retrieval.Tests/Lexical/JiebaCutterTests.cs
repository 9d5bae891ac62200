using System.Text;
using System.Text.Json;
using JiebaNet.Segmenter;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Lexical.Jieba;
using KnowledgeQa.Retrieval.Tests.Documents;
using Newtonsoft.Json;

namespace KnowledgeQa.Retrieval.Tests.Lexical;

/// <summary>
/// Our jieba cut (<see cref="JiebaCutter"/>) against jieba.NET itself, the segmenter every existing
/// store's Chinese terms came from: a word that drifts would stop matching the index.
/// </summary>
public sealed class JiebaCutterTests
{
    private static readonly string JiebaFolder = Path.Combine(AppContext.BaseDirectory, ChineseWordSegmenter.DictionaryFolderName);
    private static readonly Lazy<JiebaSegmenter> Reference = new(() =>
    {
        ConfigManager.ConfigFileBaseDir = JiebaFolder;
        return new JiebaSegmenter();
    });
    private static readonly Lazy<JiebaCutter> Ours = new(() => new JiebaCutter(
        JiebaDictionary.Load(Path.Combine(JiebaFolder, "dict.txt")),
        () => LoadHmm()));

    [Fact]
    public void Cuts_the_sample_documents_as_jieba_NET_does()
    {
        var texts = Directory.GetFiles(Path.Combine(RealWorldData.RepositoryRoot(), "samples", "docs"), "*", SearchOption.AllDirectories)
            .Select(File.ReadAllText)
            .ToList();
        Assert.Contains(texts, text => text.Contains("從沒電充到全滿", StringComparison.Ordinal));
        AssertSameCuts(texts, minimumHanRuns: 50);
    }

    [Fact]
    public void Cuts_DRCD_and_CMRC_passages_and_questions_as_jieba_NET_does()
    {
        var texts = new List<string>();
        foreach (var set in new[] { "drcd", "cmrc2018" })
        {
            var folder = RealWorldData.FindSharedData(set);
            if (folder is null)
            {
                Assert.Skip($"shared/data/{set} was not found at or above {RealWorldData.RepositoryRoot()}: put the shared data beside the checkout");
            }
            texts.AddRange(ReadField(Path.Combine(folder, "contexts.jsonl"), "text"));
            texts.AddRange(ReadField(Path.Combine(folder, "questions.jsonl"), "question"));
        }
        Assert.True(texts.Count > 4_000, $"{texts.Count} texts");
        AssertSameCuts(texts, minimumHanRuns: 40_000);
    }

    [Fact]
    public void Long_blocks_and_long_runs_for_the_model_are_cut_as_jieba_NET_does()
    {
        // Past the stack buffers: a block of 2,000 Han characters (no punctuation between them), and
        // 300 characters the dictionary never joins, all handed to the model at once.
        var drcdLike = string.Concat(Enumerable.Repeat("梵語研究也對西方文字學及歷史語言學的發展貢獻不少亞洲協會在加爾各答舉行", 50));
        var unknown = string.Concat(Enumerable.Repeat("鿐鿑", 150));
        foreach (var text in new[] { drcdLike, unknown, "鿐", "a鿐b 中文 AT&T c#\r\n3.5%的人" })
        {
            Assert.Equal(Reference.Value.Cut(text, cutAll: false, hmm: true).ToList(), Ours.Value.Cut(text));
        }
    }

    [Fact]
    public void The_dictionary_holds_jieba_NETs_words_and_total()
    {
        _ = Reference.Value;
        var dictionary = JiebaDictionary.Load(Path.Combine(JiebaFolder, "dict.txt"));
        Assert.Equal(WordDictionary.Instance.Total, dictionary.Total);
        var lines = File.ReadAllLines(Path.Combine(JiebaFolder, "dict.txt"), Encoding.UTF8);
        Assert.True(lines.Length > 300_000);
        foreach (var word in lines.Select(line => line.Split(' ')[0]))
        {
            Assert.Equal(WordDictionary.Instance.ContainsWord(word), dictionary.ContainsWord(word));
            // A prefix that is no word of its own (中华人民共 of 中华人民共和国) is held, but not as a word.
            var prefix = word[..^1];
            Assert.Equal(WordDictionary.Instance.ContainsWord(prefix), dictionary.ContainsWord(prefix));
        }
        Assert.False(dictionary.ContainsWord("中华人民共"));
        Assert.True(dictionary.ContainsWord("中华人民共和国"));
    }

    [Fact]
    public void The_model_tables_are_the_files_numbers_bit_for_bit()
    {
        var hmm = LoadHmm();
        var emissions = JsonConvert.DeserializeObject<Dictionary<char, Dictionary<char, double>>>(File.ReadAllText(Path.Combine(JiebaFolder, "prob_emit.json")))!;
        var compared = 0;
        foreach (var (state, table) in emissions)
        {
            foreach (var (character, probability) in table)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(probability), BitConverter.DoubleToInt64Bits(hmm.Emission(state, character)));
                compared++;
            }
        }
        Assert.True(compared > 20_000, $"{compared} emissions");
        Assert.Equal(-3.14E+100, hmm.Emission('B', 'a'));
        var transitions = JsonConvert.DeserializeObject<Dictionary<char, Dictionary<char, double>>>(File.ReadAllText(Path.Combine(JiebaFolder, "prob_trans.json")))!;
        foreach (var (from, table) in transitions)
        {
            foreach (var (to, probability) in table)
            {
                Assert.Equal(probability, hmm.Transition(from, to));
            }
        }
        Assert.Equal(-3.14E+100, hmm.Transition('B', 'B'));
    }

    [Fact]
    public void A_dictionary_of_its_own_holds_its_words_long_and_repeated_ones_included()
    {
        var longWord = string.Concat(Enumerable.Repeat("长词", 200));
        WithFile(".txt", $"\uFEFF电池 100 n\r\n电池组 5 n\r\n{longWord} 3 n\r\n{longWord}吗 4\r\n充电 7 v\r\n电池 9 n\r\n北京 50 ns\r\n", file =>
        {
            var dictionary = JiebaDictionary.Load(file);
            Assert.Equal(100 + 5 + 3 + 4 + 7 + 9 + 50, dictionary.Total);
            Assert.True(dictionary.ContainsWord("电池组"));
            Assert.True(dictionary.ContainsWord(longWord));
            Assert.True(dictionary.ContainsWord(longWord + "吗"));
            Assert.False(dictionary.ContainsWord(longWord.AsSpan()[..^1]));
            Assert.False(dictionary.ContainsWord("电"));
            // The later line of a word replaces its frequency, as in jieba.
            Assert.Equal([("电池", 9, false)], dictionary.TwoCharacterWordsWith('池'));
            Assert.Equal([("北京", 50, true)], dictionary.TwoCharacterWordsWith('京'));
            Assert.Equal(["充电", "电池"], dictionary.TwoCharacterWordsWith('电').Select(word => word.Word).Order());
            Assert.Empty(dictionary.TwoCharacterWordsWith('吗'));
        });
    }

    [Fact]
    public void A_damaged_dictionary_line_is_an_error_that_names_the_file_and_line()
    {
        WithFile(".txt", "电池 100 n\n充电 many v\n", file =>
        {
            var error = Assert.Throws<KnowledgeQaException>(() => JiebaDictionary.Load(file));
            Assert.Contains(file, error.Message);
            Assert.Contains("line 2", error.Message);
            Assert.Contains("'many'", error.Message);
        });
    }

    [Fact]
    public void A_model_file_that_is_not_jiebas_table_is_an_error_that_names_it()
    {
        WithFile(".json", "{\"B\": {\"E\": \"high\"}}", file =>
        {
            var error = Assert.Throws<KnowledgeQaException>(() => JiebaHmm.Load(file, Path.Combine(JiebaFolder, "prob_emit.json")));
            Assert.Contains(file, error.Message);
        });
    }

    /// <summary>Runs the check on a temporary file with the text, deleted afterwards.</summary>
    private static void WithFile(string extension, string text, Action<string> check)
    {
        var file = Path.Combine(Path.GetTempPath(), $"kqa-jieba-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(file, text);
        try
        {
            check(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Each whole text, and each of its Han runs as the tokenizer hands them over (folded to Simplified).</summary>
    private static void AssertSameCuts(IReadOnlyList<string> texts, int minimumHanRuns)
    {
        var hanRuns = 0;
        foreach (var text in texts)
        {
            AssertSameCut(text);
            foreach (var run in HanRuns(text))
            {
                AssertSameCut(ChineseScriptFolding.ToSimplified(run));
                hanRuns++;
            }
        }
        Assert.True(hanRuns >= minimumHanRuns, $"{hanRuns} Han runs compared");
    }

    private static void AssertSameCut(string text)
    {
        var expected = Reference.Value.Cut(text, cutAll: false, hmm: true).ToList();
        var actual = Ours.Value.Cut(text);
        if (!expected.SequenceEqual(actual))
        {
            var at = 0;
            while (at < expected.Count && at < actual.Count && expected[at] == actual[at])
            {
                at++;
            }
            Assert.Fail($"word {at} of a text of {text.Length} characters: jieba.NET {Around(expected, at)} but ours {Around(actual, at)}");
        }
    }

    private static string Around(List<string> words, int at) =>
        string.Join("/", words.Skip(Math.Max(0, at - 3)).Take(6).Select(word => word.ReplaceLineEndings("\\n")));

    private static IEnumerable<string> HanRuns(string text)
    {
        var run = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (HanCharacters.IsHan(rune))
            {
                run.Append(rune.ToString());
            }
            else if (run.Length > 0)
            {
                yield return run.ToString();
                run.Clear();
            }
        }
        if (run.Length > 0)
        {
            yield return run.ToString();
        }
    }

    private static IEnumerable<string> ReadField(string jsonLines, string field) =>
        File.ReadLines(jsonLines)
            .Where(line => line.Length > 0)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty(field).GetString()!);

    private static JiebaHmm LoadHmm() =>
        JiebaHmm.Load(Path.Combine(JiebaFolder, "prob_trans.json"), Path.Combine(JiebaFolder, "prob_emit.json"));
}

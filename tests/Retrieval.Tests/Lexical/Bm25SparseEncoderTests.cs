using KnowledgeQa.Retrieval.Lexical;

namespace KnowledgeQa.Retrieval.Tests.Lexical;

public sealed class Bm25SparseEncoderTests
{
    private readonly Bm25SparseEncoder _encoder = new();

    [Fact]
    public void English_words_are_lower_cased_stemmed_and_stop_words_dropped()
    {
        Assert.Equal(["connect", "connect", "connect", "network"], _encoder.Tokenize("The CONNECTIONS are connected, connecting to the network!"));
        Assert.Equal(["user", "password", "dont", "share"], _encoder.Tokenize("A user's password: don't share it."));
    }

    [Fact]
    public void Full_width_letters_and_accents_fold_to_plain_letters()
    {
        Assert.Equal(["abc", "123", "cafe", "naiv"], _encoder.Tokenize("ＡＢＣ １２３ Café naïve"));
    }

    [Theory]
    [InlineData("caresses", "caress")]
    [InlineData("ponies", "poni")]
    [InlineData("cats", "cat")]
    [InlineData("agreed", "agre")]
    [InlineData("plastered", "plaster")]
    [InlineData("motoring", "motor")]
    [InlineData("hopping", "hop")]
    [InlineData("filing", "file")]
    [InlineData("happy", "happi")]
    [InlineData("relational", "relat")]
    [InlineData("generalization", "gener")]
    [InlineData("hopeful", "hope")]
    [InlineData("goodness", "good")]
    [InlineData("adjustment", "adjust")]
    [InlineData("controlling", "control")]
    [InlineData("roll", "roll")]
    [InlineData("sky", "sky")]
    public void Porter_stemmer_matches_the_reference(string word, string stem) =>
        Assert.Equal(stem, PorterStemmer.Stem(word));

    [Fact]
    public void Traditional_and_simplified_chinese_yield_two_character_words()
    {
        var traditional = _encoder.Tokenize("請問如何重設密碼？");
        var simplified = _encoder.Tokenize("请问如何重设密码？");

        // Traditional characters are folded to simplified ones, so both scripts give the same terms.
        Assert.Contains("密码", traditional);
        Assert.Contains("密码", simplified);
        Assert.Equal(simplified, traditional);
        // Question words carry no topic and are dropped.
        Assert.DoesNotContain("如何", simplified);
    }

    [Fact]
    public void A_two_character_query_shares_its_term_with_the_passage()
    {
        var passage = _encoder.EncodeDocument("忘記密碼時，請點選登入頁面的重設連結。");
        var query = _encoder.EncodeQuery("密碼");
        Assert.NotEmpty(query.Indices);
        Assert.All(query.Indices, id => Assert.Contains(id, passage.Indices));
    }

    [Fact]
    public void Mixed_chinese_and_english_text_keeps_both()
    {
        var terms = _encoder.Tokenize("使用Python 3.12处理JSON文件");
        Assert.Contains("python", terms);
        Assert.Contains("json", terms);
        Assert.Contains("3", terms);
        Assert.Contains("12", terms);
        Assert.Contains("处理", terms);
        Assert.Contains("文件", terms);
    }

    [Fact]
    public async Task Encoding_from_several_threads_gives_the_same_vectors()
    {
        string[] texts = [.. Enumerable.Range(0, 40).Select(i => $"第{i}章：忘記密碼時請重設。忘记密码时请重置。Section {i} resets passwords 測試資料")];
        var sequential = texts.Select(_encoder.EncodeDocument).ToArray();

        var parallel = await Task.WhenAll(texts.Select(text => Task.Run(() => _encoder.EncodeDocument(text), TestContext.Current.CancellationToken)));

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(sequential[i].Indices, parallel[i].Indices);
            Assert.Equal(sequential[i].Values, parallel[i].Values);
        }
    }

    [Fact]
    public void Term_ids_are_fnv1a_hashes_of_the_utf8_term()
    {
        Assert.Equal(0x811C9DC5u, TermHash.Compute(""));
        Assert.Equal(0xE40C292Cu, TermHash.Compute("a"));
        Assert.Equal(0xDBAF4155u, TermHash.Compute("密码"));
        Assert.Equal([0xAAE0CCF9u], _encoder.EncodeQuery("Connections").Indices);
    }

    [Fact]
    public void Document_weights_are_the_bm25_term_frequency_part()
    {
        var encoder = new Bm25SparseEncoder(new Bm25Options { K1 = 1.2, B = 0.75, AverageDocumentLength = 3 });
        var vector = encoder.EncodeDocument("apple apple banana");

        // len = avglen = 3, so the length factor is 1: w = tf * 2.2 / (tf + 1.2).
        var apple = Array.IndexOf(vector.Indices, TermHash.Compute("appl"));
        var banana = Array.IndexOf(vector.Indices, TermHash.Compute("banana"));
        Assert.Equal(2, vector.Count);
        Assert.Equal(2 * 2.2f / 3.2f, vector.Values[apple], 5);
        Assert.Equal(1f, vector.Values[banana], 5);

        // A longer passage weighs the same term frequency less.
        var longer = encoder.EncodeDocument("banana cherry date elder fig grape");
        Assert.True(longer.Values[Array.IndexOf(longer.Indices, TermHash.Compute("banana"))] < 1f);
    }

    [Fact]
    public void Query_weights_count_repeated_terms_and_indices_are_sorted_and_distinct()
    {
        var query = _encoder.EncodeQuery("reset reset password, then reset 密碼 密碼");

        Assert.Equal(query.Indices.Order(), query.Indices);
        Assert.Equal(query.Indices.Length, query.Indices.Distinct().Count());
        Assert.Equal(3f, query.Values[Array.IndexOf(query.Indices, TermHash.Compute("reset"))]);
        Assert.Equal(2f, query.Values[Array.IndexOf(query.Indices, TermHash.Compute("密码"))]);
    }

    [Fact]
    public void Text_without_terms_encodes_to_an_empty_vector()
    {
        Assert.Same(SparseVector.Empty, _encoder.EncodeDocument("the of, and ... !!!"));
        Assert.Same(SparseVector.Empty, _encoder.EncodeQuery(""));
    }

    [Fact]
    public void Bad_options_are_refused_with_the_option_named()
    {
        Assert.Contains("K1", Assert.Throws<InvalidOptionException>(() => new Bm25SparseEncoder(new Bm25Options { K1 = -1 })).Message);
        Assert.Contains("B", Assert.Throws<InvalidOptionException>(() => new Bm25SparseEncoder(new Bm25Options { B = 2 })).Message);
        Assert.Contains("AverageDocumentLength", Assert.Throws<InvalidOptionException>(() => new Bm25SparseEncoder(new Bm25Options { AverageDocumentLength = 0 })).Message);
        var missing = Path.Combine(Path.GetTempPath(), "kqa-no-such-jieba-" + Guid.NewGuid().ToString("N"));
        Assert.Contains(missing, Assert.Throws<InvalidOptionException>(() => new Bm25SparseEncoder(new Bm25Options { JiebaDictionaryDirectory = missing })).Message);
    }

    [Fact]
    public void The_jieba_dictionary_is_copied_beside_the_application()
    {
        // The project file of KnowledgeQa.Retrieval copies it to every referencing application.
        var folder = Path.Combine(AppContext.BaseDirectory, "jieba");
        Assert.True(File.Exists(Path.Combine(folder, "dict.txt")), $"{folder}/dict.txt is missing");
        var encoder = new Bm25SparseEncoder(new Bm25Options { JiebaDictionaryDirectory = folder, ChineseTerms = ChineseTerms.Words });
        Assert.Contains("密码", encoder.Tokenize("如何重设密码"));
    }
}

using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Lexical;
using KnowledgeQa.Retrieval.Search;
using KnowledgeQa.Retrieval.Storage;
using KnowledgeQa.Retrieval.Storage.Embedded;
using KnowledgeQa.Retrieval.Tests.Storage;

namespace KnowledgeQa.Retrieval.Tests.Lexical;

/// <summary>A question's lone Chinese characters search for the dictionary words that hold them (<see cref="ChineseQueryBackoff"/>).</summary>
public sealed class ChineseQueryBackoffTests
{
    private static readonly string ChargingBigram = TextTokenizer.BigramMarker + "充电";

    // The battery passages of samples/docs/zh-Hant/電池保養.md, one chunk each, as `kqa ingest` cuts them.
    private static readonly (string Id, string Text)[] BatteryPassages =
    [
        ("guide", "電池保養指南\n\nAurora A1 使用 504 Wh 可拆式鋰電池。正確的保養可以延長電池壽命。"),
        ("charging", "充電\n\n請只使用原廠附的 4 A 充電器。從沒電充到全滿大約需要四個半小時。充電環境溫度應在攝氏 10 度到 30 度之間；低於 0 度時電池管理系統會拒絕充電，儀表會顯示錯誤碼 E12。"),
        ("storage", "長期存放\n\n如果超過一個月不騎車，請把電池充到 50% 到 70% 之間，並存放在陰涼乾燥的地方。每三個月檢查一次電量，電量低於 30% 時請補充電。不要把電池放在車內或陽光直射的地方。"),
        ("cleaning", "清潔\n\n清潔車身時請先取下電池。不要用高壓水柱沖洗電池或馬達。電池接點可以用乾布擦拭。"),
        ("service", "預約方式\n\n可以在 Aurora App 或撥打客服專線 02-2345-6789 預約維修。送修時請攜帶電池與鑰匙。"),
    ];

    [Fact]
    public void A_verb_jieba_glued_to_a_modal_backs_off_to_the_words_that_hold_it()
    {
        // jieba cuts 电池 / 要充 / 多久: 要充 is no dictionary word and no passage holds it.
        var query = new Bm25SparseEncoder().EncodeQuery("電池要充多久");

        Assert.Equal(ChineseQueryBackoff.Weight, WeightOf(query, ChargingBigram));
        Assert.Equal(1f, WeightOf(query, "电池"));
        // The backoff is for questions: a passage's own terms are unchanged.
        Assert.Null(WeightOf(new Bm25SparseEncoder().EncodeDocument("電池要充多久"), ChargingBigram));
    }

    [Fact]
    public void Words_the_question_spells_out_need_no_backoff()
    {
        var encoder = new Bm25SparseEncoder();
        var query = encoder.EncodeQuery("充電需要多久");

        // 充电 and 需要 are dictionary words: every term is the question's own, at its full weight.
        Assert.All(query.Values, weight => Assert.True(weight >= 1f));
        Assert.Equal(1f, WeightOf(query, "充电"));
    }

    [Fact]
    public void Backoff_words_of_a_character_never_pair_it_with_a_function_character()
    {
        var terms = ChineseQueryBackoff.Terms(["充"], new Bm25Options()).ToList();

        Assert.Contains(ChargingBigram, terms);
        Assert.Contains(TextTokenizer.BigramMarker + "补充", terms);
        Assert.DoesNotContain(TextTokenizer.BigramMarker + "充要", terms);
        Assert.All(terms, term => Assert.Contains('充', term));
        Assert.True(terms.Count <= ChineseQueryBackoff.MaxTermsPerQuery);
    }

    [Fact]
    public void Several_stranded_characters_share_one_budget_of_backoff_terms()
    {
        string[] stranded = ["充", "骑", "修", "换", "洗"];
        var terms = ChineseQueryBackoff.Terms(stranded, new Bm25Options()).ToList();

        // Each character alone would bring up to 48 words; together they stay within the budget, each with its share.
        Assert.True(ChineseQueryBackoff.Terms(["充"], new Bm25Options()).Count() > ChineseQueryBackoff.MaxTermsPerQuery / stranded.Length);
        Assert.True(terms.Count <= ChineseQueryBackoff.MaxTermsPerQuery, $"{terms.Count} terms");
        Assert.All(stranded, character => Assert.Contains(terms, term => term.Contains(character[0])));
        Assert.Equal(terms.Count, terms.Distinct().Count());
    }

    [Fact]
    public void Words_mode_backs_off_to_words_not_bigrams()
    {
        var terms = ChineseQueryBackoff.Terms(["充"], new Bm25Options { ChineseTerms = ChineseTerms.Words }).ToList();

        Assert.Contains("充电", terms);
        Assert.DoesNotContain(terms, term => term[0] == TextTokenizer.BigramMarker);
    }

    [Fact]
    public void The_option_turns_the_backoff_off()
    {
        var query = new Bm25SparseEncoder(new Bm25Options { BackOffLoneChineseCharacters = false }).EncodeQuery("電池要充多久");

        Assert.Null(WeightOf(query, ChargingBigram));
        Assert.All(query.Values, weight => Assert.Equal(1f, weight));
    }

    [Fact]
    public async Task The_charging_passage_ranks_in_the_top_two_only_with_the_backoff()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "store.db");
        var encoder = new Bm25SparseEncoder();
        await using var store = new EmbeddedKnowledgeStore(new EmbeddedStoreOptions { Path = path });
        var cancel = TestContext.Current.CancellationToken;
        await store.InitializeAsync(1, "none", cancel);
        foreach (var (id, text) in BatteryPassages)
        {
            var chunk = new Chunk { Id = Chunk.CreateId(id, 0, text), DocumentId = id, Index = 0, Text = text, Start = 0, End = text.Length };
            await store.UpsertDocumentAsync(new StoredDocument { Id = id, Source = id, ContentHash = "h" }, [new IndexedChunk(chunk, new float[1], encoder.EncodeDocument(text))], cancel);
        }

        async Task<int> RankOfChargingAsync(Bm25Options options)
        {
            var query = new Bm25SparseEncoder(options).EncodeQuery("電池要充多久");
            var hits = await store.SearchAsync(new StoreQuery { Mode = SearchMode.Lexical, Sparse = query, Top = BatteryPassages.Length }, cancel);
            return hits.Select(h => h.Chunk.DocumentId).ToList().IndexOf("charging");
        }

        var withBackoff = await RankOfChargingAsync(new Bm25Options());
        var without = await RankOfChargingAsync(new Bm25Options { BackOffLoneChineseCharacters = false });

        Assert.InRange(withBackoff, 0, 1);
        // Without it only 电池 matches, and four passages say 电池 as often in fewer words (or the passage is not found at all).
        Assert.True(without is -1 or > 1, $"without the backoff the charging passage ranked {without + 1}");
    }

    private static float? WeightOf(SparseVector vector, string term)
    {
        var index = Array.IndexOf(vector.Indices, TermHash.Compute(term));
        return index < 0 ? null : vector.Values[index];
    }
}

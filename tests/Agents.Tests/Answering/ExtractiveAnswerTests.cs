using KnowledgeQa.Agents.Answering;
using KnowledgeQa.Agents.Tests.Fakes;
using KnowledgeQa.Agents.Text;
using static KnowledgeQa.Agents.Tests.Fakes.FakeRetriever;

namespace KnowledgeQa.Agents.Tests.Answering;

/// <summary>Answers without a chat model: the best sentences of the passages, cited.</summary>
public class ExtractiveAnswerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GroundedAnswerer Answerer(params Retrieval.Storage.SearchHit[] hits) =>
        new(new FakeRetriever(hits), chatClient: null, new SimpleLexicalEncoder());

    [Fact]
    public async Task The_answer_is_the_sentence_that_holds_the_answer_with_its_citation()
    {
        var answerer = Answerer(
            Hit("tower.md", "The Eiffel Tower is a landmark in Paris. It was completed in 1889 for the World's Fair. " +
                "Gustave Eiffel's company designed and built the tower. Millions of people visit it every year.", dense: 0.6),
            Hit("bridges.md", "The Golden Gate Bridge opened in 1937. It spans the Golden Gate strait.", dense: 0.3));

        var answer = await answerer.AskAsync("When was the Eiffel Tower completed?", cancellationToken: Ct);

        Assert.Equal(AnswerMode.Extractive, answer.Mode);
        Assert.True(answer.Grounded);
        // The answer sentence opens with "It", so the sentence it refers back to comes with it.
        Assert.StartsWith("The Eiffel Tower is a landmark in Paris. It was completed in 1889 for the World's Fair. [1]", answer.Text);
        Assert.Contains(answer.Citations, c => c.Number == 1 && c.DocumentId == "tower.md");
        Assert.Equal(AnswerTexts.English.ExtractiveLabel, answer.Label);
        Assert.DoesNotContain(answer.Label!, answer.Text);
    }

    [Fact]
    public async Task The_chosen_sentence_says_more_than_the_question()
    {
        var answerer = Answerer(Hit("capital.md",
            "What is the capital of Australia? Many people guess Sydney. The capital of Australia is Canberra, a planned city.", dense: 0.7));

        var answer = await answerer.AskAsync("What is the capital of Australia?", cancellationToken: Ct);

        Assert.StartsWith("The capital of Australia is Canberra, a planned city. [1]", answer.Text);
    }

    [Fact]
    public async Task Sentences_from_several_passages_cite_their_own_passage()
    {
        // Every sentence that may answer is taken (no ratio to the best, no least probability), so the answer draws
        // on both passages whatever the sentence model prefers: what is tested is that each cites its own.
        var answerer = new GroundedAnswerer(new FakeRetriever(
            Hit("a.md", "Solar panels convert sunlight into electricity. They were invented long ago.", dense: 0.6),
            Hit("b.md", "Solar panels need sunlight and convert it into electricity with silicon cells.", dense: 0.55)),
            chatClient: null, new SimpleLexicalEncoder(), new AnswerOptions { ExtractiveSentenceRatio = 0, MinExtraSentenceProbability = 0 });

        var answer = await answerer.AskAsync("How do solar panels convert sunlight into electricity?", cancellationToken: Ct);

        Assert.Contains("[1]", answer.Text);
        Assert.Contains("[2]", answer.Text);
        Assert.Equal([1, 2], answer.Citations.Select(c => c.Number));
        Assert.Equal(answer.Citations.Select(c => c.Number), CitationParser.Parse(answer.Text, answer.Passages.Count).Order());
    }

    [Fact]
    public async Task A_sentence_from_two_overlapping_passages_is_given_once()
    {
        // Chunks overlap, so the same sentence comes back in two passages; every sentence that may answer is taken.
        var answerer = new GroundedAnswerer(new FakeRetriever(
            Hit("manual.md", "The battery charges in 4.5 hours from empty. Use the supplied charger.", dense: 0.7),
            Hit("manual.md", "The battery charges in 4.5 hours from empty. Store it half charged.", dense: 0.65)),
            chatClient: null, new SimpleLexicalEncoder(), new AnswerOptions { ExtractiveSentenceRatio = 0, MinExtraSentenceProbability = 0 });

        var answer = await answerer.AskAsync("How long does the battery take to charge from empty?", cancellationToken: Ct);

        Assert.Single(answer.Text.Split("The battery charges in 4.5 hours from empty.")[1..]);
    }

    [Fact]
    public async Task A_sentence_shown_with_the_one_it_refers_back_to_replaces_that_one()
    {
        var answerer = new GroundedAnswerer(new FakeRetriever(
            Hit("tower.md", "The Eiffel Tower is a landmark in Paris. It was completed in 1889 for the World's Fair.", dense: 0.6)),
            chatClient: null, new SimpleLexicalEncoder(), new AnswerOptions { ExtractiveSentenceRatio = 0, MinExtraSentenceProbability = 0 });

        var answer = await answerer.AskAsync("When was the Eiffel Tower completed?", cancellationToken: Ct);

        // "It was completed..." is shown with the sentence before it; that sentence is not given a second time.
        Assert.Equal("The Eiffel Tower is a landmark in Paris. It was completed in 1889 for the World's Fair. [1]", answer.Text);
    }

    [Theory]
    [InlineData("Carbon monoxide poisoning and decompression sickness are sometimes treated using these devices.", true)]
    [InlineData("Carbon monoxide poisoning and decompression sickness are sometimes treated in hospitals.", false)]
    public async Task An_english_sentence_that_names_its_thing_as_these_devices_is_shown_with_the_one_before(string treated, bool withBefore)
    {
        // "these devices" inside the sentence points back as an opening "They" does: the devices are named before.
        const string before = "Hyperbaric medicine uses special oxygen chambers to raise the pressure of oxygen around the patient.";
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("oxygen.md", before + " " + treated, dense: 0.6)),
            chatClient: null, new SimpleLexicalEncoder(), new AnswerOptions { ExtractiveSentenceRatio = 0, MinExtraSentenceProbability = 0 });

        var answer = await answerer.AskAsync("What is used to treat carbon monoxide poisoning and decompression sickness?", cancellationToken: Ct);

        Assert.Contains(treated, answer.Text);
        Assert.Equal(withBefore, answer.Text.Contains(before + " " + treated, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("韦比在这场比赛中出示三面红牌，是联赛杯首次出现的。", true)]
    [InlineData("韦比在联赛杯中出示三面红牌，是联赛杯首次出现的。", false)]
    public async Task A_chinese_sentence_that_names_its_thing_as_this_match_is_shown_with_the_one_before(string cards, bool withBefore)
    {
        // 这场比赛 ("this match") inside the sentence names the match of the sentence before, where the answer stands.
        const string before = "在2007年的英格兰联赛杯决赛中，由韦比执法，最终切尔西以2-1击败阿森纳。";
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("webb.md", before + cards, dense: 0.6)),
            chatClient: null, new SimpleLexicalEncoder(), new AnswerOptions { ExtractiveSentenceRatio = 1, MinFollowerProbability = 1, MinPredecessorProbability = 1 });

        var answer = await answerer.AskAsync("韦比在哪场比赛中出示了三面红牌？", cancellationToken: Ct);

        Assert.Contains(cards, answer.Text);
        Assert.Equal(withBefore, answer.Text.Contains(before + cards, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("本鱼栖息在岩礁区水较浅处，以藻类为食。")]
    [InlineData("牠们栖息在岩礁区水较浅处，以藻类为食。")]
    public async Task A_chinese_sentence_that_names_its_subject_as_this_fish_or_it_is_shown_with_the_one_before(string habitat)
    {
        // 本鱼 ("this fish") and 牠们 (animals' "they") stand for the subject the sentence before names.
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("fish.md", "背斑眶锯雀鲷为雀鲷科的其中一种。" + habitat, dense: 0.6)),
            chatClient: null, new SimpleLexicalEncoder(), new AnswerOptions { ExtractiveSentenceRatio = 0, MinExtraSentenceProbability = 0 });

        var answer = await answerer.AskAsync("背斑眶锯雀鲷栖息在什么环境？", cancellationToken: Ct);

        Assert.Contains("背斑眶锯雀鲷为雀鲷科的其中一种。" + habitat + "[1]", answer.Text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Passages_of_a_relevant_passages_document_are_drawn_on_even_when_judged_not_relevant(bool sameDocument)
    {
        // The article's lead chunk shares only the subject with the question; a later chunk repeats its words.
        var later = Hit("tower.md", "The Eiffel Tower was repainted in 2010. The Eiffel Tower is repainted every seven years.", dense: 0.7, index: 2);
        var lead = Hit("tower.md", "Gustave Eiffel's company built it for the World's Fair of 1889.", dense: 0.05, index: 0);
        var other = Hit("bridge.md", "The Golden Gate Bridge opened in 1937.", dense: 0.02);
        var answerer = new GroundedAnswerer(new FakeRetriever(later, lead, other), chatClient: null, new SimpleLexicalEncoder(),
            new AnswerOptions { SameDocumentPassages = sameDocument });

        var answer = await answerer.AskAsync("When was the Eiffel Tower repainted?", new AskOptions { Explain = true }, Ct);

        var relevant = answer.Explanation!.Passages.Where(p => p.Relevant).Select(p => p.ChunkId).ToList();
        Assert.Equal([later.Chunk.Id], relevant);
        var drawn = sameDocument ? new[] { later.Chunk.Id, lead.Chunk.Id } : [later.Chunk.Id];
        Assert.Equal(drawn, answer.Passages.Select(p => p.Chunk.Id));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public async Task A_chunk_of_an_answering_document_ranked_below_the_top_passages_is_drawn_on(int belowTop)
    {
        // The fish's article answers from its first chunk; the chunk that holds the depth ranks seventh, behind other articles.
        var lead = Hit("damselfish.md", "The white-tail damselfish is a damselfish of the family Pomacentridae.", dense: 0.7, index: 0);
        var others = new[] { "reef.md", "shark.md", "eel.md", "crab.md" }.Select(d => Hit(d, $"The {d[..^3]} is common on the reef.", dense: 0.05));
        var unrelated = Hit("bridge.md", "The Golden Gate Bridge opened in 1937.", dense: 0.02);
        var depth = Hit("damselfish.md", "The white-tail damselfish lives at depths of 0.5 to 3 metres.", dense: 0.3, index: 3);
        var answerer = new GroundedAnswerer(new FakeRetriever([lead, .. others, unrelated, depth]), chatClient: null, new SimpleLexicalEncoder(),
            new AnswerOptions { BackgroundDocumentPassages = belowTop });

        var answer = await answerer.AskAsync("How deep does the white-tail damselfish live?", new AskOptions { Explain = true }, Ct);

        Assert.False(answer.Refused);
        Assert.Equal(belowTop > 0, answer.Text.Contains("0.5 to 3 metres", StringComparison.Ordinal));
        var shown = answer.Explanation!.Passages.Single(p => p.ChunkId == depth.Chunk.Id && belowTop > 0 || p.ChunkId == lead.Chunk.Id && belowTop == 0);
        Assert.NotNull(shown.Number);
        if (belowTop > 0)
        {
            Assert.Equal(7, shown.Rank);
            Assert.StartsWith("below the top 5, from a document that answers", shown.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_chinese_answer_is_cut_at_chinese_sentence_ends()
    {
        var answerer = Answerer(Hit("tower-zh.md",
            "埃菲尔铁塔位于法国巴黎。铁塔于1889年建成，是当年世界博览会的入口。每年有数百万人参观铁塔！"));

        var answer = await answerer.AskAsync("埃菲尔铁塔是哪一年建成的？", cancellationToken: Ct);

        Assert.StartsWith("铁塔于1889年建成，是当年世界博览会的入口。[1]", answer.Text);
        Assert.Equal(QuestionLanguage.ChineseSimplified, answer.Language);
        Assert.Equal(AnswerTexts.ChineseSimplified.ExtractiveLabel, answer.Label);
    }

    [Fact]
    public async Task The_extractive_answer_is_streamed_then_completed()
    {
        var answerer = Answerer(Hit("tower.md", "The Eiffel Tower was completed in 1889.", dense: 0.6));

        var updates = new List<AnswerUpdate>();
        await foreach (var update in answerer.AskStreamingAsync("When was the Eiffel Tower completed?", cancellationToken: Ct))
        {
            updates.Add(update);
        }

        Assert.Equal(2, updates.Count);
        Assert.Equal(updates[0].Text, updates[1].Answer!.Text);
    }

    [Fact]
    public async Task Extractive_can_be_asked_for_with_a_chat_model_configured()
    {
        var chat = new ScriptedChatClient();
        var answerer = new GroundedAnswerer(
            new FakeRetriever(Hit("tower.md", "The Eiffel Tower was completed in 1889.", dense: 0.6)), chat, new SimpleLexicalEncoder());

        var answer = await answerer.AskAsync("When was the Eiffel Tower completed?", new AskOptions { Extractive = true }, Ct);

        Assert.Equal(AnswerMode.Extractive, answer.Mode);
        Assert.Empty(chat.Calls);
        Assert.Equal(AnswerMode.Generative, answerer.DefaultMode);
    }

    [Fact]
    public async Task Without_a_relevant_passage_the_extractive_answer_is_a_labelled_refusal()
    {
        var answer = await Answerer(Hit("recipes.md", "Whisk the eggs with sugar.", dense: 0.1))
            .AskAsync("When was the Eiffel Tower completed?", cancellationToken: Ct);

        Assert.True(answer.Refused);
        Assert.Equal(AnswerMode.Extractive, answer.Mode);
        Assert.Equal(AnswerTexts.English.Refusal, answer.Text);
    }

    private const string Expedition =
        "The expedition reached the northern coast in the spring. Frozen lakes and a colony of seals lay beyond the cliffs. " +
        "Much later the ship returned to Oslo with its crew.";

    [Fact]
    public async Task The_sentence_after_the_one_the_question_restates_comes_with_it()
    {
        // Nothing in the best sentence answers "what did they find": the question was written from it, and
        // the answer is the next sentence, which shares none of its words.
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("polar.md", Expedition, dense: 0.6)), chatClient: null, new SimpleLexicalEncoder(),
            new AnswerOptions { MinExtraSentenceProbability = 1 });

        var answer = await answerer.AskAsync("What did the expedition find on the northern coast in the spring?", cancellationToken: Ct);

        Assert.StartsWith("The expedition reached the northern coast in the spring. [1] Frozen lakes and a colony of seals lay beyond the cliffs. [1]", answer.Text);
        Assert.DoesNotContain("Oslo", answer.Text);
    }

    [Fact]
    public async Task A_sentence_after_that_refers_back_to_the_best_one_takes_its_place_instead_of_repeating_it()
    {
        // "But with the cannon, this wall..." is shown with the sentence before it, the best one: as the follower it
        // replaces that sentence rather than standing beside a second copy of it.
        const string walls = "君士坦丁堡的城牆非常堅固，上千年中沒有人能夠克服它。";
        const string cannon = "但隨著炮的出現，這堵牆再不能保護這座城市了。";
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("walls.md", walls + cannon, dense: 0.6)), chatClient: null, new SimpleLexicalEncoder(),
            new AnswerOptions { MinExtraSentenceProbability = 1, MinFollowerProbability = 0, MinPredecessorProbability = 1 });

        var answer = await answerer.AskAsync("君士坦丁堡的城牆非常堅固，但什麼東西的出現使得城牆不再萬能？", cancellationToken: Ct);

        Assert.Equal(walls + cannon + "[1]", answer.Text);
    }

    [Fact]
    public async Task The_sentence_after_waits_for_its_own_score_when_the_follower_bar_is_out_of_reach()
    {
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("polar.md", Expedition, dense: 0.6)), chatClient: null, new SimpleLexicalEncoder(),
            new AnswerOptions { MinExtraSentenceProbability = 1, MinFollowerProbability = 1 });

        var answer = await answerer.AskAsync("What did the expedition find on the northern coast in the spring?", cancellationToken: Ct);

        Assert.Equal("The expedition reached the northern coast in the spring. [1]", answer.Text);
    }

    [Fact]
    public async Task A_best_sentence_that_holds_the_asked_for_fact_needs_no_follower()
    {
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("polar.md",
            "The expedition reached the northern coast in 1911. Frozen lakes and a colony of seals lay beyond the cliffs.", dense: 0.6)),
            chatClient: null, new SimpleLexicalEncoder(), new AnswerOptions { MinExtraSentenceProbability = 1 });

        var answer = await answerer.AskAsync("When did the expedition reach the northern coast?", cancellationToken: Ct);

        Assert.Equal("The expedition reached the northern coast in 1911. [1]", answer.Text);
    }

    private const string Flood =
        "Heavy storms flooded the valley of the villagers in the autumn. The villagers moved their houses to the hills. " +
        "Much later a dam was built across the river.";

    [Fact]
    public async Task The_sentence_before_the_one_the_question_restates_comes_with_it()
    {
        // The question restates the second sentence; why they moved stands in the one before it.
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("valley.md", Flood, dense: 0.6)), chatClient: null, new SimpleLexicalEncoder(),
            new AnswerOptions { MinExtraSentenceProbability = 1, MinFollowerProbability = 1, MinPredecessorProbability = 0 });

        var answer = await answerer.AskAsync("Why did the villagers move their houses to the hills?", cancellationToken: Ct);

        // In reading order: the sentence before is shown before the one it goes on to.
        Assert.Equal("Heavy storms flooded the valley of the villagers in the autumn. [1] The villagers moved their houses to the hills. [1]", answer.Text);
    }

    [Fact]
    public void The_sentence_before_takes_only_a_place_that_the_close_runners_up_leave()
    {
        // Passage 1 reads: predecessor (0..20), best (21..40); passage 2 holds a sentence close behind the best.
        // With two places the second goes to that sentence, not to the weaker one before the best.
        var best = new ExtractedSentence("best", 1, 0.8) { Ranges = [new TextRange(21, 20)], KindFound = false };
        var predecessor = new ExtractedSentence("before", 1, 0.3) { Ranges = [new TextRange(0, 20)] };
        var close = new ExtractedSentence("close", 2, 0.7) { Ranges = [new TextRange(0, 20)] };
        var options = new AnswerOptions { MaxExtractiveSentences = 2, MinPredecessorProbability = 0.1 };

        Assert.Equal(["best", "close"], ExtractiveAnswerer.Choose([best, close, predecessor], options).Select(s => s.Text));
        Assert.Equal(["before", "best", "close"], ExtractiveAnswerer.Choose([best, close, predecessor], options with { MaxExtractiveSentences = 3 }).Select(s => s.Text));
    }

    [Fact]
    public async Task The_sentence_before_waits_for_its_own_score_when_the_predecessor_bar_is_out_of_reach()
    {
        var answerer = new GroundedAnswerer(new FakeRetriever(Hit("valley.md", Flood, dense: 0.6)), chatClient: null, new SimpleLexicalEncoder(),
            new AnswerOptions { MinExtraSentenceProbability = 1, MinFollowerProbability = 1, MinPredecessorProbability = 1 });

        var answer = await answerer.AskAsync("Why did the villagers move their houses to the hills?", cancellationToken: Ct);

        Assert.Equal("The villagers moved their houses to the hills. [1]", answer.Text);
    }
}

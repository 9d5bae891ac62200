using System.Globalization;
using KnowledgeQa.Retrieval.Chunking;
using KnowledgeQa.Retrieval.Documents;

namespace KnowledgeQa.Retrieval.Tests.Chunking;

public sealed class TextChunkerTests(TokenizerFixture fixture) : IClassFixture<TokenizerFixture>
{
    private readonly ITokenCounter _counter = fixture.Tokenizer;

    private static readonly string[] EnglishSentences =
    [
        "The installer copies the files to the program folder.",
        "It asks for a licence key before it starts!",
        "Do you need administrator rights to run it?",
        "Most users can run it without them.",
        "Updates are downloaded in the background, and they are applied at the next start.",
    ];

    private static readonly string[] SimplifiedSentences =
    [
        "知识库问答系统可以从文档中找到答案。",
        "用户提出问题后，系统先检索相关段落！",
        "检索结果是否足够好？",
        "模型根据段落生成带引用的回答；",
    ];

    private static readonly string[] TraditionalSentences =
    [
        "知識庫問答系統可以從文件中找到答案。",
        "使用者提出問題後，系統先檢索相關段落！",
        "檢索結果是否足夠好？",
        "模型根據段落產生帶引用的回答；",
    ];

    private TextChunker Chunker(int maxTokens, int overlapTokens = 0, ITokenCounter? counter = null) =>
        new(counter ?? _counter, new ChunkingOptions { MaxTokens = maxTokens, OverlapTokens = overlapTokens });

    private IReadOnlyList<Chunk> SplitChecked(Document document, int maxTokens, int overlapTokens = 0)
    {
        var chunks = Chunker(maxTokens, overlapTokens).Split(document);
        ChunkAssert.WellFormed(document, chunks, _counter, maxTokens);
        ChunkAssert.CoversText(document, chunks);
        return chunks;
    }

    [Fact]
    public void Chunks_carry_the_heading_path_and_never_cross_sections()
    {
        var document = Documents.FromMarkdown("""
            # Guide
            ## Install
            Run the installer. It takes a minute.

            Then restart.
            ## Usage
            Call the search command with a question.
            ### Options
            Use --top to get more passages.
            # Appendix
            Nothing else to say.
            """);

        var chunks = SplitChecked(document, maxTokens: 100);

        Assert.Equal(
            [
                "Guide > Install | ## Install\nRun the installer. It takes a minute.\n\nThen restart.",
                "Guide > Usage | ## Usage\nCall the search command with a question.",
                "Guide > Usage > Options | ### Options\nUse --top to get more passages.",
                "Appendix | # Appendix\nNothing else to say.",
            ],
            chunks.Select(c => $"{string.Join(" > ", c.Headings)} | {c.Text}"));
    }

    [Fact]
    public void Small_paragraphs_are_packed_and_a_section_too_long_is_split_at_sentences()
    {
        var paragraphs = string.Join("\n\n", Enumerable.Range(0, 12).Select(i => EnglishSentences[i % EnglishSentences.Length]));
        var document = Documents.FromMarkdown(paragraphs);

        var chunks = SplitChecked(document, maxTokens: 40);

        Assert.True(chunks.Count < 12, "small paragraphs should share chunks");
        Assert.True(chunks.Count > 1);
        Assert.All(chunks, c => Assert.True(c.Text[^1] is '.' or '!' or '?', $"'{c.Text}' does not end at a sentence end"));
    }

    [Fact]
    public void A_code_block_that_fits_stays_whole()
    {
        const string code = """
            ```
            var generator = new OnnxEmbeddingGenerator(options);
            var vectors = await generator.GenerateAsync(texts);
            foreach (var vector in vectors) { Console.WriteLine(vector.Vector.Length); }
            ```
            """;
        var document = Documents.FromMarkdown($"{EnglishSentences[0]} {EnglishSentences[1]}\n\n{code}\n\n{EnglishSentences[2]} {EnglishSentences[3]}");
        var codeTokens = _counter.CountTokens(code);
        Assert.InRange(codeTokens, 30, 80);

        var chunks = SplitChecked(document, maxTokens: codeTokens + 5);

        Assert.Contains(chunks, c => c.Text.Contains(code));
    }

    [Theory]
    [InlineData("simplified")]
    [InlineData("traditional")]
    public void Chinese_without_spaces_splits_at_sentence_ends(string script)
    {
        var sentences = script == "simplified" ? SimplifiedSentences : TraditionalSentences;
        var document = Documents.Plain(ChunkAssert.Repeat(sentences, 40));

        var chunks = SplitChecked(document, maxTokens: 50);

        Assert.True(chunks.Count > 10);
        Assert.All(chunks, c => Assert.Contains(c.Text[^1], "。！？；"));
    }

    [Fact]
    public void A_long_english_sentence_without_punctuation_splits_between_words()
    {
        var words = "the model reads every word of this endless sentence and keeps going without a single stop".Split(' ');
        var document = Documents.Plain(ChunkAssert.Repeat(words, 1500, " "));

        var chunks = SplitChecked(document, maxTokens: 60);

        Assert.True(chunks.Count >= 1500 / 60);
        foreach (var chunk in chunks)
        {
            Assert.True(chunk.Start == 0 || document.Text[chunk.Start - 1] == ' ', "a chunk starts inside a word");
            Assert.True(chunk.End == document.Text.Length || document.Text[chunk.End] == ' ', "a chunk ends inside a word");
        }
    }

    [Fact]
    public void A_long_chinese_run_without_punctuation_is_cut_within_limits()
    {
        var document = Documents.Plain(ChunkAssert.Repeat(["知识库问答系统从文档中检索相关段落并生成回答", "這是一段沒有任何標點符號的繁體中文長句"], 100));
        var metered = new MeteredTokenCounter(_counter);

        var chunks = Chunker(maxTokens: 64, counter: metered).Split(document);

        ChunkAssert.WellFormed(document, chunks, _counter, 64);
        ChunkAssert.CoversText(document, chunks);
        Assert.True(chunks.Count > 30);
        Assert.All(chunks.SkipLast(1), c => Assert.True(c.TokenCount > 64 - 8, $"chunk {c.Index} is needlessly short ({c.TokenCount})"));
        var perCharacter = (double)metered.CharactersCounted / document.Text.Length;
        Assert.True(perCharacter < 6, $"each character was tokenized {perCharacter:F1} times while searching for cuts");
    }

    [Fact]
    public void Mixed_english_and_chinese_splits_at_either_scripts_sentence_ends()
    {
        var document = Documents.Plain(ChunkAssert.Repeat(
        [
            "我们使用 Semantic Kernel 构建知识库。",
            "It supports hybrid search with BM25 and dense vectors! ",
            "检索结果會附上引用嗎？",
            "Yes, every answer cites its passages. ",
        ], 60));

        var chunks = SplitChecked(document, maxTokens: 45);

        Assert.True(chunks.Count > 5);
        Assert.All(chunks, c => Assert.Contains(c.Text[^1], ".!?。！？"));
    }

    [Fact]
    public void Surrogate_pairs_and_combining_sequences_are_never_split()
    {
        // No spaces or punctuation: only the last-resort cut applies, between text elements. Emoji, the
        // CJK Extension B character 𠀀 (a surrogate pair) and a decomposed é (e + combining acute) sit at
        // every position a cut could fall.
        var document = Documents.Plain(ChunkAssert.Repeat(["中😀", "文𠀀", "e\u0301", "字👨‍👩‍👧", "𠀁"], 3000));

        var chunks = SplitChecked(document, maxTokens: 37);

        Assert.True(chunks.Count > 10);
        foreach (var chunk in chunks)
        {
            Assert.False(char.IsLowSurrogate(chunk.Text[0]), $"chunk {chunk.Index} starts with half a surrogate pair");
            Assert.False(char.IsHighSurrogate(chunk.Text[^1]), $"chunk {chunk.Index} ends with half a surrogate pair");
            Assert.NotEqual(UnicodeCategory.NonSpacingMark, char.GetUnicodeCategory(chunk.Text[0]));
            Assert.NotEqual('\u200D', chunk.Text[0]);
            Assert.NotEqual('\u200D', chunk.Text[^1]);
        }
    }

    [Fact]
    public void Consecutive_chunks_of_a_section_overlap_by_whole_sentences()
    {
        var body = ChunkAssert.Repeat(EnglishSentences, 30, " ");
        var document = Documents.FromMarkdown($"# One\n{body}\n# Two\n{body}");

        var chunks = SplitChecked(document, maxTokens: 60, overlapTokens: 20);

        var overlaps = 0;
        for (var i = 1; i < chunks.Count; i++)
        {
            var (previous, current) = (chunks[i - 1], chunks[i]);
            if (!previous.Headings.SequenceEqual(current.Headings))
            {
                Assert.True(current.Start >= previous.End, "chunks of different sections overlap");
                continue;
            }
            Assert.True(current.Start < previous.End, $"chunk {i} does not overlap the previous one");
            var repeated = document.Text[current.Start..previous.End];
            Assert.True(_counter.CountTokens(repeated) <= 20, $"overlap '{repeated}' is over budget");
            Assert.True(EnglishSentences.Any(s => repeated.StartsWith(s, StringComparison.Ordinal)), $"overlap '{repeated}' does not start at a sentence");
            overlaps++;
        }
        Assert.True(overlaps > 4);
    }

    [Fact]
    public void The_window_of_the_model_bounds_the_chunk_size()
    {
        Assert.Equal(254, Chunker(maxTokens: 0).MaxTokens);    // 256 - [CLS] - [SEP]
        Assert.Equal(254, Chunker(maxTokens: 5000).MaxTokens);
        Assert.Equal(100, Chunker(maxTokens: 100).MaxTokens);

        var document = Documents.Plain(ChunkAssert.Repeat(EnglishSentences, 200, " "));
        var chunks = new TextChunker(_counter, new ChunkingOptions { MaxTokens = 0, OverlapTokens = 0 }).Split(document);
        ChunkAssert.WellFormed(document, chunks, _counter, 254);
        Assert.True(chunks.Max(c => c.TokenCount) > 200, "chunks should fill the model window");
    }

    [Fact]
    public void Bad_options_are_named()
    {
        Assert.Contains("MaxTokens", Assert.Throws<InvalidOptionException>(() => Chunker(maxTokens: -1)).Message);
        Assert.Contains("OverlapTokens", Assert.Throws<InvalidOptionException>(() => Chunker(maxTokens: 50, overlapTokens: -1)).Message);
        Assert.Contains("OverlapTokens", Assert.Throws<InvalidOptionException>(() => Chunker(maxTokens: 50, overlapTokens: 50)).Message);
    }

    [Fact]
    public void Blank_text_gives_no_chunks()
    {
        Assert.Empty(Chunker(50).Split(Documents.Plain("")));
        Assert.Empty(Chunker(50).Split(Documents.Plain(" \n\t\u3000\n\n \uFEFF")));
        Assert.Empty(Chunker(50).Split(new Document("d", "d", "text outside every block", [])));
    }

    [Fact]
    public void A_chunk_takes_the_page_of_the_block_it_starts_in()
    {
        var first = string.Join(' ', EnglishSentences);
        var second = string.Join(' ', EnglishSentences.Reverse());
        var text = $"{first}\n{second}";
        var document = new Document("paged.pdf", "paged.pdf", text,
        [
            new DocumentBlock(BlockKind.Paragraph, 0, first.Length, Page: 3),
            new DocumentBlock(BlockKind.Paragraph, first.Length + 1, second.Length, Page: 4),
        ]);

        var chunks = SplitChecked(document, maxTokens: 40);

        Assert.All(chunks, c => Assert.Equal(c.Start < first.Length ? 3 : 4, c.Page));
        Assert.Contains(chunks, c => c.Page == 4);
    }

    [Fact]
    public void Splitting_is_deterministic()
    {
        var document = Documents.Plain(ChunkAssert.Repeat(SimplifiedSentences.Concat(EnglishSentences).ToArray(), 50, " "));

        var first = Chunker(50, 10).Split(document);
        var second = Chunker(50, 10).Split(document);

        Assert.Equal(first.Select(c => c.Id), second.Select(c => c.Id));
    }

    [Fact]
    public void Each_piece_of_text_is_tokenized_a_bounded_number_of_times()
    {
        // One block of 600 sentences: re-tokenizing the growing chunk for every added sentence would count
        // each character about as many times as a chunk has sentences (~10 here).
        var document = Documents.Plain(ChunkAssert.Repeat(EnglishSentences, 600, " "));
        var metered = new MeteredTokenCounter(_counter);

        var chunks = Chunker(maxTokens: 200, overlapTokens: 30, counter: metered).Split(document);

        ChunkAssert.WellFormed(document, chunks, _counter, 200);
        var perCharacter = (double)metered.CharactersCounted / document.Text.Length;
        Assert.True(perCharacter < 5, $"each character was tokenized {perCharacter:F1} times");
    }

    [Fact]
    public void A_five_megabyte_line_without_whitespace_becomes_many_chunks_under_the_character_limit()
    {
        // Letters only: the tokenizer sees one unknown word, a single [UNK] token however long the run.
        var random = new Random(5);
        var line = string.Create(5 * 1024 * 1024, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + r.Next(26));
            }
        });
        var document = Documents.Plain(line);
        var chunker = new TextChunker(_counter, new ChunkingOptions());

        var chunks = chunker.Split(document);

        Assert.Equal(ChunkingOptions.CharactersPerToken * chunker.MaxTokens, chunker.MaxCharacters);
        Assert.True(chunks.Count >= line.Length / 2048, $"{chunks.Count} chunks");
        Assert.All(chunks, c => Assert.InRange(c.Text.Length, 1, chunker.MaxCharacters));
        Assert.True(line == string.Concat(chunks.Select(c => c.Text)), "the chunks are not the line in order");
    }

    [Fact]
    public void The_character_limit_cuts_at_sentences_and_words_before_anywhere()
    {
        var sentences = ChunkAssert.Repeat(EnglishSentences, 40, " ");
        var document = Documents.Plain(sentences);

        var chunks = new TextChunker(_counter, new ChunkingOptions { MaxTokens = 200, OverlapTokens = 0, MaxCharacters = 120 }).Split(document);

        ChunkAssert.WellFormed(document, chunks, _counter, 200);
        ChunkAssert.CoversText(document, chunks);
        Assert.All(chunks, c => Assert.True(c.Text.Length <= 120, $"chunk {c.Index} has {c.Text.Length} characters"));
        Assert.All(chunks, c => Assert.True(c.Text[^1] is '.' or '!' or '?', $"'{c.Text}' does not end at a sentence end"));
    }

    [Fact]
    public void One_text_element_longer_than_the_limit_is_cut_between_code_points_never_inside_a_pair()
    {
        // A base letter under 10,000 combining marks is one text element; an emoji run is surrogate pairs.
        var document = Documents.Plain("e" + new string('\u0301', 10_000) + " " + string.Concat(Enumerable.Repeat("😀", 3_000)));

        var chunks = new TextChunker(_counter, new ChunkingOptions { MaxCharacters = 500 }).Split(document);

        Assert.All(chunks, c => Assert.InRange(c.Text.Length, 1, 500));
        Assert.All(chunks, c => Assert.False(char.IsLowSurrogate(c.Text[0]) || char.IsHighSurrogate(c.Text[^1]), $"chunk {c.Index} splits a surrogate pair"));
        Assert.Equal(document.Text.Replace(" ", ""), string.Concat(chunks.Select(c => c.Text)).Replace(" ", ""));
    }

    [Fact]
    public void A_character_limit_too_small_is_named()
    {
        var error = Assert.Throws<InvalidOptionException>(() => new TextChunker(_counter, new ChunkingOptions { MaxCharacters = 10 }));

        Assert.Contains("MaxCharacters", error.Message);
    }

    /// <summary>
    /// A long section of similar paragraphs, one of them lengthened: packing from the section start would
    /// move every later boundary by a paragraph (each chunk of the rest would change), content-defined
    /// boundaries meet again within a few chunks.
    /// </summary>
    [Fact]
    public void Editing_one_paragraph_changes_only_the_chunks_around_it()
    {
        var random = new Random(11);
        var words = "the index keeps every chunk of text with its vector so that a search finds passages by meaning and by words".Split(' ');
        var paragraphs = Enumerable.Range(0, 240)
            .Select(_ => string.Join(' ', Enumerable.Range(0, 30).Select(_ => words[random.Next(words.Length)])) + ".")
            .ToList();
        var original = Documents.FromMarkdown(string.Join("\n\n", paragraphs));
        paragraphs[20] += " " + string.Join(' ', Enumerable.Range(0, 45).Select(i => words[i % words.Length])) + ".";
        var edited = Documents.FromMarkdown(string.Join("\n\n", paragraphs));
        var chunker = new TextChunker(_counter, new ChunkingOptions());

        var before = chunker.Split(original);
        var after = chunker.Split(edited);

        var known = before.Select(c => c.Text).ToHashSet();
        var changed = after.Where(c => !known.Contains(c.Text)).ToList();
        Assert.True(after.Count > 30, $"{after.Count} chunks");
        Assert.InRange(changed.Count, 1, 4);
        Assert.All(changed, c => Assert.True(c.Index < 10, $"chunk {c.Index} changed, far from the edit"));
    }
}

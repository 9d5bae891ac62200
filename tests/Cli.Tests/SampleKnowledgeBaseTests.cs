using System.Text.Json;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// The README's main job, end to end through the real kqa program: ingest samples/docs into an
/// embedded store (real SQLite file, real ONNX embedding model), then search and ask it.
/// The store is built once for the class; each test reads it.
/// </summary>
public sealed class SampleKnowledgeBaseTests(SampleKnowledgeBaseTests.IngestedSamples samples) : IClassFixture<SampleKnowledgeBaseTests.IngestedSamples>
{
    public sealed class IngestedSamples : IAsyncLifetime
    {
        public TempFolder Folder { get; } = new();
        public string Data => Path.Combine(Folder.Path, "kb");
        public KqaProcess.Result FirstIngest { get; private set; } = null!;
        public KqaProcess.Result SecondIngest { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            var samplesFolder = Path.Combine(KqaProcess.RepositoryRoot, "samples", "docs");
            FirstIngest = await KqaProcess.RunAsync(Folder.Path, "--data", Data, "ingest", samplesFolder, "--tag", "manual", "--json");
            SecondIngest = await KqaProcess.RunAsync(Folder.Path, "--data", Data, "ingest", samplesFolder, "--tag", "manual", "--json");
        }

        public ValueTask DisposeAsync()
        {
            Folder.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private Task<KqaProcess.Result> Kqa(params string[] args) => KqaProcess.RunAsync(samples.Folder.Path, ["--data", samples.Data, .. args]);

    [Fact]
    public void Ingest_adds_every_sample_document_then_finds_them_unchanged()
    {
        Assert.Equal(0, samples.FirstIngest.ExitCode);
        var first = samples.FirstIngest.Json;
        Assert.Equal(6, first.GetProperty("added").GetInt32());
        Assert.Empty(first.GetProperty("failed").EnumerateArray());
        Assert.True(first.GetProperty("chunks").GetInt32() >= 6);

        var second = samples.SecondIngest.Json;
        Assert.Equal(0, second.GetProperty("added").GetInt32());
        Assert.Equal(6, second.GetProperty("unchanged").GetInt32());
    }

    [Fact]
    public async Task Search_json_finds_the_english_passage_with_its_source()
    {
        var result = await Kqa("search", "How long does a full charge of the battery take?", "--json", "--top", "3");

        Assert.Equal(0, result.ExitCode);
        var hits = result.Json.EnumerateArray().ToList();
        Assert.InRange(hits.Count, 1, 3);
        var top = hits[0];
        Assert.Equal("docs/en/getting-started.md", top.GetProperty("documentId").GetString());
        Assert.EndsWith("getting-started.md", top.GetProperty("source").GetString());
        Assert.Contains("4.5 hours", top.GetProperty("text").GetString());
        Assert.True(top.GetProperty("score").GetDouble() > 0);
    }

    [Theory]
    [InlineData("電池充滿電需要多久？", "docs/zh-Hant/電池保養.md")]
    [InlineData("台北旗艦店週一有營業嗎", "docs/zh-Hant/門市與維修.md")]
    [InlineData("电池保固几年", "docs/zh-Hant/保固條款.txt")] // simplified question, traditional document
    public async Task Search_finds_traditional_chinese_passages(string query, string expectedDocument)
    {
        var result = await Kqa("search", query, "--json", "--top", "3");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expectedDocument, result.Json[0].GetProperty("documentId").GetString());
    }

    [Fact]
    public async Task The_readme_tour_search_puts_the_charging_passage_first()
    {
        // README, "A short tour": kqa search "電池充電要多久" --top 3.
        var result = await Kqa("search", "電池充電要多久", "--json", "--top", "3");

        Assert.Equal(0, result.ExitCode);
        var top = result.Json[0];
        Assert.Equal("docs/zh-Hant/電池保養.md", top.GetProperty("documentId").GetString());
        Assert.Contains("四個半小時", top.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_question_whose_verb_jieba_glues_to_a_modal_still_finds_the_charging_passage()
    {
        // Issue 12: "kqa search 電池要充多久 --top 3" ranked the charging passage sixth, because jieba cuts 要充
        // as one word that no passage holds; the lone 充 now backs off to 充電 and the other words that hold it.
        var result = await Kqa("search", "電池要充多久", "--json", "--top", "3");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.Json.EnumerateArray(), hit => hit.GetProperty("text").GetString()!.Contains("四個半小時", StringComparison.Ordinal));

        // README: KQA__Lexical__BackOffLoneChineseCharacters=false turns it off, with no re-ingest.
        var off = await KqaProcess.RunAsync(samples.Folder.Path, new Dictionary<string, string> { ["KQA__Lexical__BackOffLoneChineseCharacters"] = "false" },
            "--data", samples.Data, "search", "電池要充多久", "--json", "--top", "3");
        Assert.Equal(0, off.ExitCode);
        Assert.DoesNotContain(off.Json.EnumerateArray(), hit => hit.GetProperty("text").GetString()!.Contains("四個半小時", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Search_filters_by_tag()
    {
        var tagged = await Kqa("search", "warranty", "--json", "--tag", "manual");
        var untagged = await Kqa("search", "warranty", "--json", "--tag", "no-such-tag");

        Assert.NotEmpty(tagged.Json.EnumerateArray());
        Assert.Empty(untagged.Json.EnumerateArray());
    }

    [Fact]
    public async Task Ask_without_a_model_answers_extractively_with_citations()
    {
        var result = await Kqa("ask", "How long does a full charge take?", "--json");

        Assert.Equal(0, result.ExitCode);
        var answer = result.Json;
        Assert.Equal("extractive", answer.GetProperty("mode").GetString());
        Assert.True(answer.GetProperty("grounded").GetBoolean());
        Assert.Contains("4.5 hours", answer.GetProperty("answer").GetString());
        var citation = answer.GetProperty("citations")[0];
        Assert.Equal("docs/en/getting-started.md", citation.GetProperty("documentId").GetString());
        Assert.False(string.IsNullOrWhiteSpace(citation.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Ask_with_a_local_model_folder_generates_through_onnx_runtime_genai()
    {
        // The tiny random-weight fixture writes gibberish: this checks the generative path end to end, not the text.
        var model = Path.Combine(KqaProcess.RepositoryRoot, "tests", "Agents.Tests", "Fixtures", "tiny-llama");

        var result = await Kqa("ask", "How long does a full charge take?", "--model", model, "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("generative", result.Json.GetProperty("mode").GetString());
        Assert.False(string.IsNullOrWhiteSpace(result.Json.GetProperty("answer").GetString()));
    }

    [Fact]
    public async Task Ask_with_a_missing_model_folder_names_it()
    {
        var result = await Kqa("ask", "How long does a full charge take?", "--model", Path.Combine(samples.Folder.Path, "no-model"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no-model", result.Stderr);
    }

    [Fact]
    public async Task Ask_explain_prints_the_passages_their_ranks_and_decisions_and_the_chosen_sentences()
    {
        var result = await Kqa("ask", "What does error E07 mean?", "--explain");

        Assert.Equal(0, result.ExitCode);
        var explanation = result.Stdout[result.Stdout.IndexOf("Explanation:", StringComparison.Ordinal)..];
        Assert.Contains("dense rank", explanation);
        Assert.Contains("lexical rank", explanation);
        Assert.Contains("relevant (", explanation);
        Assert.Contains("not relevant (", explanation);
        Assert.Contains("chosen sentences:", explanation);
        Assert.Contains("E07: Motor overheated", explanation);

        var json = await Kqa("ask", "What does error E07 mean?", "--explain", "--json");
        Assert.NotEmpty(json.Json.GetProperty("explanation").GetProperty("passages").EnumerateArray());
        var plain = await Kqa("ask", "What does error E07 mean?", "--json");
        Assert.False(plain.Json.TryGetProperty("explanation", out var none) && none.ValueKind != System.Text.Json.JsonValueKind.Null);
    }

    [Theory]
    [InlineData("--log-level", "debug")]
    [InlineData("--verbose", null)]
    public async Task A_log_level_shows_what_the_library_logs_on_stderr_only(string flag, string? level)
    {
        string[] args = level is null ? [flag, "ask", "What does error E07 mean?", "--json"] : [flag, level, "ask", "What does error E07 mean?", "--json"];
        var result = await Kqa(args);
        var quiet = await Kqa("ask", "What does error E07 mean?", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("KnowledgeQa.Retrieval.Search.KnowledgeRetriever", result.Stderr);
        Assert.Contains("relevant (", result.Stderr);
        // Standard output is still the answer's JSON alone.
        Assert.Contains("Motor overheated", result.Json.GetProperty("answer").GetString());
        Assert.DoesNotContain("KnowledgeRetriever", quiet.Stderr);
    }

    [Fact]
    public async Task An_unknown_log_level_is_a_one_line_error()
    {
        var result = await Kqa("--log-level", "loud", "docs");

        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith("kqa: error: --log-level 'loud' is not a level", result.Stderr.Trim());
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Ask_refuses_a_question_the_knowledge_base_cannot_answer()
    {
        var result = await Kqa("ask", "Who painted the Mona Lisa?", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.False(result.Json.GetProperty("grounded").GetBoolean());
        Assert.Empty(result.Json.GetProperty("citations").EnumerateArray());
    }

    [Fact]
    public async Task Docs_lists_the_ingested_documents()
    {
        var result = await Kqa("docs", "--json");

        var ids = result.Json.EnumerateArray().Select(d => d.GetProperty("documentId").GetString()).ToList();
        Assert.Contains("docs/en/warranty.txt", ids);
        Assert.Contains("docs/zh-Hant/電池保養.md", ids);
        Assert.Equal(6, ids.Count);
    }

    [Fact]
    public async Task Bad_flags_print_one_clear_line_and_fail()
    {
        var result = await Kqa("search", "battery", "--mode", "fuzzy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--mode 'fuzzy'", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }
}

using System.Text.Json;
using KnowledgeQa.Plugins.Hosting;
using KnowledgeQa.Plugins.Results;
using KnowledgeQa.Retrieval;
using KnowledgeQa.Server.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KnowledgeQa.Server.Tests.OpenAi;

/// <summary>The pieces of the OpenAI-compatible endpoint that need no server: stop sequences, the answer text, the conversation.</summary>
public sealed class ChatCompletionPartsTests
{
    [Theory]
    [InlineData(new[] { "Hello wor", "ld. END and more" }, "END", "Hello world. ")]
    [InlineData(new[] { "Hello E", "N", "D more" }, "END", "Hello ")]
    [InlineData(new[] { "Hello E", "NOUGH" }, "END", "Hello ENOUGH")]
    [InlineData(new[] { "no stop here" }, "END", "no stop here")]
    [InlineData(new[] { "END at once" }, "END", "")]
    public void Streamed_text_ends_before_the_first_stop_sequence_across_pieces(string[] pieces, string stop, string expected)
    {
        var filter = new StopSequenceFilter([stop, "\n\n\n"]);
        var shown = string.Concat(pieces.Select(filter.Add)) + filter.Flush();
        Assert.Equal(expected, shown);
        Assert.Equal(expected, StopSequenceFilter.Cut(string.Concat(pieces), [stop, "\n\n\n"]));
    }

    [Fact]
    public void Text_that_may_begin_a_stop_sequence_is_held_back_until_the_next_piece_decides()
    {
        var filter = new StopSequenceFilter(["STOP"]);
        Assert.Equal("abc ", filter.Add("abc ST"));
        Assert.Equal("STaying", filter.Add("aying"));
        Assert.False(filter.Stopped);
        Assert.Equal("", filter.Add("STOP"));
        Assert.True(filter.Stopped);
        Assert.Equal("", filter.Add("more"));
    }

    [Fact]
    public void The_appendix_lists_the_cited_sources_and_comes_off_again_for_the_history()
    {
        var answer = new AnswerResult("Q", "It takes 4.5 hours [1].", true, false, "extractive", "Extractive answer (no chat model configured):", "Other",
        [
            new(1, "manual/battery.md", "manual/battery.md", "Battery", 3, ["Battery", "Charging"], "A full charge takes 4.5 hours.", []),
            new(2, "faq.md", "faq.md", null, null, null, "Not cited.", []),
        ]);

        var appendix = AnswerContent.Appendix(answer, [1]);

        Assert.Equal("\n\n(Extractive answer (no chat model configured))\n\nSources:\n- [1] manual/battery.md (Battery, p. 3, Charging)", appendix);
        Assert.Equal(answer.Answer, AnswerContent.WithoutAppendix(answer.Answer + appendix));
    }

    [Fact]
    public void Chinese_answers_get_a_chinese_sources_heading_and_a_refusal_gets_no_appendix()
    {
        var cited = new AnswerResult("Q", "充滿電需要 4.5 小時 [1]。", true, false, "generative", null, "ChineseTraditional",
            [new(1, "zh/battery.md", "zh/battery.md", null, null, null, "…", [])]);
        Assert.Equal("\n\n來源：\n- [1] zh/battery.md", AnswerContent.Appendix(cited, [1]));

        var refused = new AnswerResult("Q", "The knowledge base does not contain an answer to this question.", false, true, "extractive",
            "Extractive answer (no chat model configured):", "Other", []);
        Assert.Equal("", AnswerContent.Appendix(refused, []));
    }

    [Fact]
    public void The_conversation_is_the_last_user_message_with_the_earlier_exchanges_before_it()
    {
        var conversation = ChatConversation.Read(
        [
            new("system", "Be brief."),
            new("user", "Which charger does the battery use?"),
            new("assistant", "The supplied charger [1].\n\nSources:\n- [1] battery.md"),
            new("tool", "ignored"),
            new("user", "Unanswered question"),
            new("user", "How long does that take?"),
            new("developer", "Answer in English."),
        ]);

        Assert.Equal("How long does that take?", conversation.Question);
        Assert.Equal(5, conversation.QuestionIndex);
        Assert.Equal(
            [new ChatExchange("Which charger does the battery use?", "The supplied charger [1]."), new ChatExchange("Unanswered question", "")],
            conversation.Earlier);
    }

    [Fact]
    public void A_request_reads_content_parts_and_max_completion_tokens_and_ignores_unknown_fields()
    {
        var request = ChatCompletionRequest.Parse(JsonDocument.Parse("""
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "part two"}]}],
             "max_tokens": 9, "max_completion_tokens": 20, "stop": "END", "stream": true, "stream_options": {"include_usage": true}, "whatever": 1}
            """).RootElement);

        Assert.Equal("knowledge-base", request.Model);
        Assert.Equal("part one\npart two", Assert.Single(request.Messages).Text);
        Assert.Equal(20, request.MaxTokens);
        Assert.Equal(["END"], request.Stop);
        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
    }

    [Fact]
    public async Task Without_an_otlp_endpoint_kqa_serve_sets_up_no_telemetry_at_all()
    {
        using var folder = new TempFolder();
        await using var app = KqaServer.Build(new ServerSettings { Urls = ["http://127.0.0.1:0"] },
            services => services.AddKnowledgeQa(options => options.DataDirectory = folder.Path));

        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData("localhost:4317", "grpc", "--otlp-endpoint 'localhost:4317' is not an http(s) URL")]
    [InlineData("http://localhost:4318", "thrift", "--otlp-protocol 'thrift' is not an OTLP protocol")]
    public void A_bad_otlp_setting_is_refused_with_what_to_give(string endpoint, string protocol, string message)
    {
        var error = Assert.Throws<InvalidOptionException>(() => KqaServer.Build(
            new ServerSettings { OtlpEndpoint = endpoint, OtlpProtocol = protocol }, _ => { }));
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_traces_and_metrics_are_set_up()
    {
        using var folder = new TempFolder();
        await using var app = KqaServer.Build(new ServerSettings { Urls = ["http://127.0.0.1:0"], OtlpEndpoint = "http://127.0.0.1:4318", OtlpProtocol = "http/protobuf" },
            services => services.AddKnowledgeQa(options => options.DataDirectory = folder.Path));

        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.NotNull(app.Services.GetService<MeterProvider>());
    }
}

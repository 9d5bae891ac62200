using System.Diagnostics;
using System.Diagnostics.Metrics;
using KnowledgeQa.Agents.Answering;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace KnowledgeQa.Agents.Diagnostics;

/// <summary>
/// The traces and metrics of answering and of model calls, under fixed names a host subscribes to
/// (OpenTelemetry's AddSource / AddMeter, or AddKnowledgeQaInstrumentation).
/// </summary>
public static class AgentsTelemetry
{
    /// <summary>The "answer" span of a grounded answer.</summary>
    public const string AnsweringSourceName = "KnowledgeQa.Agents.Answering";

    /// <summary>
    /// Source and meter of the model calls: Microsoft.Extensions.AI's OpenTelemetry decorators around
    /// the chat model and the embedding model write GenAI-convention spans ("chat MODEL",
    /// "embeddings MODEL") and metrics (gen_ai.client.token.usage, gen_ai.client.operation.duration) here.
    /// </summary>
    public const string GenAISourceName = "KnowledgeQa.GenAI";

    /// <summary>The meter of the answer instruments below.</summary>
    public const string MeterName = "KnowledgeQa.Agents";

    public const string AnswerModeTag = "kqa.answer.mode";
    public const string RefusedTag = "kqa.answer.refused";
    public const string GroundedTag = "kqa.answer.grounded";
    public const string CitationsTag = "kqa.answer.citations";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> AnswerDuration = Meter.CreateHistogram<double>(
        "kqa.answer.duration", "s", "Time to a complete grounded answer (retrieval, relevance, generation or extraction), by mode and refusal.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });

    private static readonly Counter<long> Refusals = Meter.CreateCounter<long>(
        "kqa.answer.refusals", "{answer}", "Answers that said the knowledge base does not contain the answer, by mode.");

    /// <summary>A grounded answer is complete: its duration and outcome go to the metrics and to the answer's span.</summary>
    public static void RecordAnswer(KnowledgeAnswer answer, TimeSpan elapsed, Activity? activity)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var mode = new KeyValuePair<string, object?>(AnswerModeTag, ModeName(answer.Mode));
        AnswerDuration.Record(elapsed.TotalSeconds, mode, new KeyValuePair<string, object?>(RefusedTag, answer.Refused));
        if (answer.Refused)
            Refusals.Add(1, mode);
        activity?.SetTag(RefusedTag, answer.Refused);
        activity?.SetTag(GroundedTag, answer.Grounded);
        activity?.SetTag(CitationsTag, answer.Citations.Count);
    }

    public static string ModeName(AnswerMode mode) => mode == AnswerMode.Generative ? "generative" : "extractive";

    /// <summary>
    /// The chat model as KnowledgeQa runs it: GenAI-convention spans and metrics of every call, and
    /// its token usage and finish reason counted into the caller's <see cref="ChatUsageScope"/>.
    /// Costs next to nothing while nobody listens. With <paramref name="loggerFactory"/> the decorator also
    /// logs each failed call (with its stack trace) at Warning.
    /// </summary>
    public static IChatClient WithKnowledgeQaTelemetry(this IChatClient client, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new ChatClientBuilder(new UsageRecordingChatClient(client))
            .UseOpenTelemetry(loggerFactory, GenAISourceName)
            .Build();
    }

    /// <summary>The embedding model with GenAI-convention spans and metrics of every call.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> WithKnowledgeQaTelemetry(
        this IEmbeddingGenerator<string, Embedding<float>> generator, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return new EmbeddingGeneratorBuilder<string, Embedding<float>>(generator)
            .UseOpenTelemetry(loggerFactory, GenAISourceName)
            .Build();
    }
}

using KnowledgeQa.Agents.Diagnostics;
using KnowledgeQa.Retrieval.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KnowledgeQa.Plugins.Hosting;

/// <summary>
/// Every ActivitySource and Meter of KnowledgeQa, and the one call that subscribes a host's
/// OpenTelemetry pipeline to them:
/// <c>services.AddOpenTelemetry().AddKnowledgeQaInstrumentation().UseOtlpExporter()</c>.
/// KnowledgeQa itself never exports anything; the host picks the exporters.
/// </summary>
public static class KnowledgeQaTelemetry
{
    /// <summary>The spans of the HTTP surface (the OpenAI-compatible "chat" span and its follow-up "rewrite").</summary>
    public const string ServerSourceName = "KnowledgeQa.Server";

    /// <summary>For a Microsoft Agent Framework agent: <c>agent.AsBuilder().UseOpenTelemetry(AgentSourceName)</c> puts its spans beside ours.</summary>
    public const string AgentSourceName = "KnowledgeQa.Agent";

    public static IReadOnlyList<string> ActivitySourceNames { get; } =
    [
        ServerSourceName,
        AgentSourceName,
        AgentsTelemetry.AnsweringSourceName,
        AgentsTelemetry.GenAISourceName,
        RetrievalTelemetry.IngestionSourceName,
        RetrievalTelemetry.SearchSourceName,
        RetrievalTelemetry.StorageSourceName,
    ];

    public static IReadOnlyList<string> MeterNames { get; } =
    [
        RetrievalTelemetry.MeterName,
        AgentsTelemetry.MeterName,
        AgentsTelemetry.GenAISourceName,
        AgentSourceName,
    ];

    /// <summary>Subscribes tracing to KnowledgeQa's spans.</summary>
    public static TracerProviderBuilder AddKnowledgeQaInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource([.. ActivitySourceNames]);
    }

    /// <summary>Subscribes metrics to KnowledgeQa's instruments.</summary>
    public static MeterProviderBuilder AddKnowledgeQaInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter([.. MeterNames]);
    }

    /// <summary>Both, on the builder of <c>services.AddOpenTelemetry()</c>.</summary>
    public static IOpenTelemetryBuilder AddKnowledgeQaInstrumentation(this IOpenTelemetryBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddKnowledgeQaInstrumentation());
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddKnowledgeQaInstrumentation());
        return builder;
    }
}

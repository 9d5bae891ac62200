using System.Diagnostics;
using System.Diagnostics.Metrics;
using KnowledgeQa.Retrieval.Ingestion;
using KnowledgeQa.Retrieval.Storage;

namespace KnowledgeQa.Retrieval.Diagnostics;

/// <summary>
/// The traces and metrics of ingestion, search and the stores, under fixed names so that a host
/// can subscribe to them (OpenTelemetry's AddSource / AddMeter, or AddKnowledgeQaInstrumentation).
/// Nothing is recorded or allocated for spans while nobody listens.
/// </summary>
public static class RetrievalTelemetry
{
    /// <summary>Spans of the ingest run and of each document ("ingest", "ingest.document", "chunk", "embed", "store.write").</summary>
    public const string IngestionSourceName = "KnowledgeQa.Ingestion";

    /// <summary>The "search" span of a query (the retriever).</summary>
    public const string SearchSourceName = "KnowledgeQa.Search";

    /// <summary>Spans inside a store's search: "search.dense", "search.lexical", "search.fusion" (embedded store), "search.qdrant".</summary>
    public const string StorageSourceName = "KnowledgeQa.Storage";

    /// <summary>The meter of every instrument below.</summary>
    public const string MeterName = "KnowledgeQa.Retrieval";

    public const string OutcomeTag = "kqa.ingest.outcome";
    public const string SearchModeTag = "kqa.search.mode";
    public const string DocumentIdTag = "kqa.document.id";
    public const string ChunksTag = "kqa.chunks";

    public static readonly ActivitySource Storage = new(StorageSourceName);

    // Before the instruments: static fields initialise in order, and the search histogram reads these.
    // Seconds, from a millisecond (a cached lexical search) to a minute.
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Documents = Meter.CreateCounter<long>(
        "kqa.ingest.documents", "{document}", "Documents an ingest run handled, by outcome (added, replaced, unchanged, failed, skipped).");

    private static readonly Counter<long> Chunks = Meter.CreateCounter<long>(
        "kqa.ingest.chunks", "{chunk}", "Chunks written to the store by ingestion.");

    private static readonly Counter<long> EmbeddedChunks = Meter.CreateCounter<long>(
        "kqa.embedding.chunks", "{chunk}", "Chunks embedded by ingestion.");

    private static readonly Histogram<double> EmbeddingRate = Meter.CreateHistogram<double>(
        "kqa.embedding.throughput", "{chunk}/s", "Chunks per second of each embedding batch of an ingest run.");

    private static readonly Histogram<double> SearchDuration = Meter.CreateHistogram<double>(
        "kqa.search.duration", "s", "Time to answer one search (query embedding, store search, fusion), by the mode that ran.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    /// <summary>One file or document of an ingest run is done (whatever happened to it).</summary>
    public static void RecordIngested(IngestionFileResult result)
    {
        Documents.Add(1, new KeyValuePair<string, object?>(OutcomeTag, OutcomeName(result.Outcome)));
        if (result.Outcome is IngestionOutcome.Added or IngestionOutcome.Replaced && result.Chunks > 0)
            Chunks.Add(result.Chunks);
    }

    /// <summary>One embedding batch of an ingest run took <paramref name="elapsed"/>.</summary>
    public static void RecordEmbedding(int chunks, TimeSpan elapsed)
    {
        EmbeddedChunks.Add(chunks);
        if (elapsed > TimeSpan.Zero)
            EmbeddingRate.Record(chunks / elapsed.TotalSeconds);
    }

    public static void RecordSearch(SearchMode mode, TimeSpan elapsed) =>
        SearchDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(SearchModeTag, ModeName(mode)));

    public static string ModeName(SearchMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>Tags a document's span with what happened to it; a failure is an error status with the reason.</summary>
    public static void TagDocument(Activity? activity, string? documentId, IngestionFileResult? result, int chunks = 0)
    {
        if (activity is null)
            return;
        activity.SetTag(DocumentIdTag, documentId ?? result?.DocumentId);
        if (result is null)
        {
            activity.SetTag(ChunksTag, chunks);
            return;
        }
        activity.SetTag(OutcomeTag, OutcomeName(result.Outcome));
        activity.SetTag(ChunksTag, result.Chunks);
        if (result.Outcome == IngestionOutcome.Failed)
            activity.SetStatus(ActivityStatusCode.Error, result.Reason);
    }

    public static string OutcomeName(IngestionOutcome outcome) => outcome.ToString().ToLowerInvariant();
}

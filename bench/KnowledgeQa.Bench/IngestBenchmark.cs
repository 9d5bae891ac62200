namespace KnowledgeQa.Bench;

internal static class IngestBenchmark
{
    public static Task RunAsync(string[] options) => throw new NotImplementedException("Ingest benchmark not written yet");
}

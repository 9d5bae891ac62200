namespace KnowledgeQa.Bench;

internal static class EmbeddingBenchmark
{
    public static Task RunAsync(string[] options) => throw new NotImplementedException("Embedding benchmark not written yet");
}

namespace KnowledgeQa.Bench;

internal static class StoreBenchmark
{
    public static Task RunAsync(string[] options) => throw new NotImplementedException("Store benchmark not written yet");
}

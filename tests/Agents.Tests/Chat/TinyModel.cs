namespace KnowledgeQa.Agents.Tests.Chat;

/// <summary>Where the tiny GenAI model fixture lands in the test output.</summary>
internal static class TinyModel
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-llama");

    /// <summary>A private copy of the fixture that a test may damage.</summary>
    public static string CopyTo(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(Path))
        {
            File.Copy(file, System.IO.Path.Combine(directory, System.IO.Path.GetFileName(file)), overwrite: true);
        }

        return directory;
    }
}

using System.Text.Json;

namespace KnowledgeQa.Cli.Tests;

/// <summary>samples/AgentFrameworkApp as the README runs it, on samples/docs, with no chat model.</summary>
public sealed class AgentFrameworkSampleTests
{
    [Fact]
    public async Task The_sample_lists_the_functions_calls_ask_and_says_how_to_run_the_agent()
    {
        using var folder = new TempFolder();
        var result = await KqaProcess.RunProgramAsync("KnowledgeQa.Samples.AgentFrameworkApp.dll", folder.Path, new Dictionary<string, string>(),
            Path.Combine(KqaProcess.RepositoryRoot, "samples", "docs"), "How long does a full charge take?");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("Functions: knowledge_base_search, knowledge_base_ask, knowledge_base_list_documents, classification_classify, classification_sentiment", result.Stdout);
        var json = result.Stdout[result.Stdout.IndexOf('{')..(result.Stdout.LastIndexOf('}') + 1)];
        var answer = JsonDocument.Parse(json).RootElement;
        Assert.True(answer.GetProperty("grounded").GetBoolean());
        Assert.Contains("4.5 hours", answer.GetProperty("answer").GetString());
        Assert.Contains("no chat model configured", result.Stdout);
    }
}

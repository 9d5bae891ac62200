using KnowledgeQa.Agents.Chat;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Chat;

/// <summary>The tiny model loaded once per test class through the real ONNX Runtime GenAI runtime.</summary>
public sealed class TinyChatModelFixture : IDisposable
{
    public const int DefaultMaxOutputTokens = 16;

    public TinyChatModelFixture()
    {
        Client = ChatClientFactory.Create(new ChatModelOptions { ModelPath = TinyModel.Path, MaxOutputTokens = DefaultMaxOutputTokens })
            ?? throw new InvalidOperationException("the factory made no client for a model folder");
    }

    public IChatClient Client { get; }

    public void Dispose() => Client.Dispose();
}

/// <summary>A scratch folder removed after the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kqa-agents-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A model file still mapped by the runtime; the OS temp cleaner gets it.
        }
    }
}

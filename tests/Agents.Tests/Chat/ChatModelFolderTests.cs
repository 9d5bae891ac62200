using System.Text.Json.Nodes;
using KnowledgeQa.Agents.Chat;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;

namespace KnowledgeQa.Agents.Tests.Chat;

/// <summary>Broken model folders and bad options give typed errors that name the problem.</summary>
public class ChatModelFolderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("genai_config.json")]
    [InlineData("model.onnx")]
    [InlineData("tokenizer.json")]
    [InlineData("tokenizer_config.json")]
    public void A_missing_file_is_named_in_the_error(string file)
    {
        using var temp = new TempDirectory();
        var folder = TinyModel.CopyTo(temp.Path);
        File.Delete(Path.Combine(folder, file));

        var error = Assert.Throws<ChatModelException>(() => ChatClientFactory.Create(new ChatModelOptions { ModelPath = folder }));

        Assert.Contains(file, error.Message);
        Assert.Contains(folder, error.Message);
    }

    [Fact]
    public void A_folder_that_does_not_exist_is_named_in_the_error()
    {
        var folder = Path.Combine(Path.GetTempPath(), "kqa-no-such-model-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<ChatModelException>(() => ChatClientFactory.Create(new ChatModelOptions { ModelPath = folder }));

        Assert.Contains(folder, error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void A_tokenizer_config_without_chat_template_is_rejected()
    {
        using var temp = new TempDirectory();
        var folder = TinyModel.CopyTo(temp.Path);
        RemoveChatTemplate(folder);

        var error = Assert.Throws<ChatModelException>(() => ChatClientFactory.Create(new ChatModelOptions { ModelPath = folder }));

        Assert.Contains("chat_template", error.Message);
        Assert.Contains("tokenizer_config.json", error.Message);
    }

    [Fact]
    public async Task A_chat_template_in_chat_template_jinja_is_used()
    {
        using var temp = new TempDirectory();
        var folder = TinyModel.CopyTo(temp.Path);
        var template = RemoveChatTemplate(folder);
        File.WriteAllText(Path.Combine(folder, "chat_template.jinja"), template);

        using var client = ChatClientFactory.Create(new ChatModelOptions { ModelPath = folder })!;
        using var original = ChatClientFactory.Create(new ChatModelOptions { ModelPath = TinyModel.Path })!;
        ChatMessage[] prompt = [new(ChatRole.User, "Hello")];
        var options = new ChatOptions { MaxOutputTokens = 8 };
        var viaFile = await client.GetResponseAsync(prompt, options, Ct);
        var viaConfig = await original.GetResponseAsync(prompt, options, Ct);

        // Same template, same weights, greedy: the same prompt tokens give the same text.
        Assert.Equal(viaConfig.Usage?.InputTokenCount, viaFile.Usage?.InputTokenCount);
        Assert.Equal(viaConfig.Text, viaFile.Text);
    }

    [Fact]
    public void A_decoder_named_in_the_config_but_missing_is_named()
    {
        using var temp = new TempDirectory();
        var folder = TinyModel.CopyTo(temp.Path);
        var configPath = Path.Combine(folder, "genai_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["model"]!["decoder"]!["filename"] = "decoder-int4.onnx";
        File.WriteAllText(configPath, config.ToJsonString());

        var error = Assert.Throws<ChatModelException>(() => ChatClientFactory.Create(new ChatModelOptions { ModelPath = folder }));

        Assert.Contains("decoder-int4.onnx", error.Message);
    }

    [Fact]
    public void A_config_that_is_not_json_is_reported_as_such()
    {
        using var temp = new TempDirectory();
        var folder = TinyModel.CopyTo(temp.Path);
        File.WriteAllText(Path.Combine(folder, "genai_config.json"), "{ not json");

        var error = Assert.Throws<ChatModelException>(() => ChatClientFactory.Create(new ChatModelOptions { ModelPath = folder }));

        Assert.Contains("genai_config.json", error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void The_cuda_provider_on_the_cpu_build_says_how_to_get_the_gpu_build()
    {
        var cudaLibrary = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime-genai-cuda.so");
        if (File.Exists(cudaLibrary) || File.Exists(Path.Combine(AppContext.BaseDirectory, "libonnxruntime-genai-cuda.so")))
        {
            Assert.Skip("This is the GPU build (-p:KqaGpu=true): the cuda provider may load.");
        }

        var error = Assert.Throws<ChatModelException>(
            () => ChatClientFactory.Create(new ChatModelOptions { ModelPath = TinyModel.Path, Provider = "cuda" }));

        Assert.Contains("KqaGpu", error.Message);
        Assert.Contains("cuda", error.Message);
    }

    [Fact]
    public void An_unknown_provider_is_an_invalid_option()
    {
        var error = Assert.Throws<InvalidOptionException>(
            () => ChatClientFactory.Create(new ChatModelOptions { ModelPath = TinyModel.Path, Provider = "tpu" }));

        Assert.Contains("tpu", error.Message);
    }

    [Fact]
    public void No_model_and_no_endpoint_means_no_chat_client()
    {
        Assert.Null(ChatClientFactory.Create(new ChatModelOptions()));
    }

    [Fact]
    public void Model_folder_and_endpoint_together_are_rejected()
    {
        var options = new ChatModelOptions { ModelPath = TinyModel.Path, Endpoint = "http://localhost:11434/v1", ModelName = "phi3.5" };

        Assert.Throws<InvalidOptionException>(() => ChatClientFactory.Create(options));
    }

    [Theory]
    [InlineData("localhost:11434", "phi3.5", "not an http(s) URL")]
    [InlineData("ftp://example.org/v1", "phi3.5", "not an http(s) URL")]
    [InlineData("http://localhost:11434/v1", null, "needs a model name")]
    public void Malformed_endpoint_options_are_rejected(string endpoint, string? modelName, string expected)
    {
        var error = Assert.Throws<InvalidOptionException>(
            () => ChatClientFactory.Create(new ChatModelOptions { Endpoint = endpoint, ModelName = modelName }));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void An_endpoint_gives_an_openai_compatible_client_without_contacting_it()
    {
        using var client = ChatClientFactory.Create(
            new ChatModelOptions { Endpoint = "http://127.0.0.1:9/v1", ModelName = "qwen2.5:7b", ContextTokens = 32768, MaxOutputTokens = 300 });

        Assert.NotNull(client);
        var metadata = client.GetService<ChatClientMetadata>();
        Assert.Equal("qwen2.5:7b", metadata?.DefaultModelId);
        Assert.Equal(new Uri("http://127.0.0.1:9/v1"), metadata?.ProviderUri);
        Assert.Equal(new ChatModelLimits(32768, 300), client.GetService<ChatModelLimits>());
    }

    private static string RemoveChatTemplate(string folder)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var template = config["chat_template"]!.GetValue<string>();
        config.Remove("chat_template");
        File.WriteAllText(path, config.ToJsonString());
        return template;
    }
}

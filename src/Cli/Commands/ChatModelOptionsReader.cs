using System.CommandLine;
using KnowledgeQa.Plugins.Hosting;

namespace KnowledgeQa.Cli.Commands;

/// <summary>The chat-model flags of ask, chat and serve: a local model folder or an OpenAI-compatible endpoint.</summary>
public sealed class ChatModelFlags
{
    public Option<string?> Model { get; } = new("--model") { Description = "Local ONNX Runtime GenAI model folder (genai_config.json, model, tokenizer)" };
    public Option<string?> Provider { get; } = new("--provider") { Description = "Execution provider of --model: cpu (default) or cuda (GPU build)" };
    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1" };
    public Option<string?> ModelName { get; } = new("--model-name") { Description = "Model name at --endpoint" };
    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "API key of --endpoint (or KQA__Chat__ApiKey)" };
    public Option<bool> Extractive { get; } = new("--extractive") { Description = "Answer with the best sentences even when a chat model is configured" };

    private readonly bool _serving;

    public ChatModelFlags() { }

    private ChatModelFlags(bool serving) => _serving = serving;

    /// <summary>
    /// The flags of kqa serve: without --api-key (serve's own --api-key is the key its clients need;
    /// the endpoint's key comes from KQA__Chat__ApiKey there) and --extractive (a request's choice).
    /// </summary>
    public static ChatModelFlags ForServe() => new(serving: true);

    public void AddTo(Command command)
    {
        Option[] options = _serving ? [Model, Provider, Endpoint, ModelName] : [Model, Provider, Endpoint, ModelName, ApiKey, Extractive];
        foreach (var option in options)
            command.Options.Add(option);
    }

    public void Apply(KnowledgeQaOptions options, ParseResult parse)
    {
        var chat = options.Chat;
        if (parse.GetValue(Model) is { } model)
            chat = chat with { ModelPath = model };
        if (parse.GetValue(Provider) is { } provider)
            chat = chat with { Provider = provider };
        if (parse.GetValue(Endpoint) is { } endpoint)
            chat = chat with { Endpoint = endpoint };
        if (parse.GetValue(ModelName) is { } name)
            chat = chat with { ModelName = name };
        if (!_serving && parse.GetValue(ApiKey) is { } key)
            chat = chat with { ApiKey = key };
        options.Chat = chat;
    }
}

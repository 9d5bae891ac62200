using System.ClientModel;
using System.ClientModel.Primitives;
using KnowledgeQa.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntimeGenAI;
using OpenAI;

namespace KnowledgeQa.Agents.Chat;

/// <summary>Makes the chat client that <see cref="ChatModelOptions"/> describe.</summary>
public static class ChatClientFactory
{
    /// <summary>
    /// A <see cref="ConfiguredChatClient"/> over a local ONNX Runtime GenAI model or an
    /// OpenAI-compatible endpoint; null when neither is configured (answers are then extractive).
    /// The caller owns and disposes the client.
    /// </summary>
    /// <exception cref="InvalidOptionException">The options contradict each other or a value is malformed.</exception>
    /// <exception cref="ChatModelException">The model folder or the native runtime is missing or broken.</exception>
    public static IChatClient? Create(ChatModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (options.IsLocal)
        {
            return CreateLocal(options);
        }

        return options.IsEndpoint ? CreateEndpoint(options) : null;
    }

    /// <summary>
    /// What <see cref="Create"/> would refuse in the configuration, found without loading anything: the
    /// options themselves and, for a local model, its folder. A server checks this before it listens,
    /// so a typo in a model path is a start-up error instead of a server that never gets ready.
    /// </summary>
    /// <exception cref="InvalidOptionException">The options contradict each other or a value is malformed.</exception>
    /// <exception cref="ChatModelException">The model folder is missing or incomplete.</exception>
    public static void Check(ChatModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (options.IsLocal)
        {
            GenAIModelFolder.Open(options.ModelPath!);
        }
    }

    private static void Validate(ChatModelOptions options)
    {
        if (options.IsLocal && options.IsEndpoint)
        {
            throw new InvalidOptionException(
                $"Both a chat model folder ('{options.ModelPath}') and an endpoint ('{options.Endpoint}') are set; choose one.");
        }

        if (options.MaxOutputTokens <= 0)
        {
            throw new InvalidOptionException($"MaxOutputTokens is {options.MaxOutputTokens}; it must be positive.");
        }

        if (options.ContextTokens is <= 0)
        {
            throw new InvalidOptionException($"ContextTokens is {options.ContextTokens}; it must be positive.");
        }

        if (options.ContextTokens is int context && context <= options.MaxOutputTokens)
        {
            throw new InvalidOptionException(
                $"ContextTokens ({context}) must exceed MaxOutputTokens ({options.MaxOutputTokens}): the prompt needs room too.");
        }

        if (options.Temperature is < 0)
        {
            throw new InvalidOptionException($"Temperature is {options.Temperature}; it must be 0 or more.");
        }

        if (options.IsLocal && !ChatProviders.All.Contains(options.Provider, StringComparer.OrdinalIgnoreCase))
        {
            throw new InvalidOptionException(
                $"Chat model provider '{options.Provider}' is not supported; use one of: {string.Join(", ", ChatProviders.All)}.");
        }

        if (options.IsEndpoint)
        {
            if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new InvalidOptionException(
                    $"Chat endpoint '{options.Endpoint}' is not an http(s) URL; give the API base, e.g. http://localhost:11434/v1.");
            }

            if (string.IsNullOrWhiteSpace(options.ModelName))
            {
                throw new InvalidOptionException(
                    $"Chat endpoint '{options.Endpoint}' needs a model name (the model the server should run, e.g. phi3.5 or gpt-4o-mini).");
            }
        }
    }

    private static ConfiguredChatClient CreateLocal(ChatModelOptions options)
    {
        var folder = GenAIModelFolder.Open(options.ModelPath!);
        OnnxRuntimeNativeLibrary.EnsureAvailable();
        var provider = options.Provider.ToLowerInvariant();

        Config? config = null;
        Model? model = null;
        Tokenizer? tokenizer = null;
        try
        {
            config = new Config(folder.Path);
            // The folder's own provider list is replaced: the option decides, so a CUDA export
            // still runs on CPU when asked to.
            config.ClearProviders();
            if (provider == ChatProviders.Cuda)
            {
                config.AppendProvider(ChatProviders.Cuda);
            }

            model = new Model(config);
            tokenizer = new Tokenizer(model);
        }
        catch (OnnxRuntimeGenAIException e)
        {
            tokenizer?.Dispose();
            model?.Dispose();
            config?.Dispose();
            var hint = provider == ChatProviders.Cuda
                ? " The cuda provider needs the GPU build (dotnet build -p:KqaGpu=true), an NVIDIA driver and CUDA 12 libraries; use --provider cpu otherwise."
                : " Check that the folder holds an ONNX Runtime GenAI export for CPU (or pass --provider cuda for a CUDA export).";
            throw new ChatModelException($"Chat model in '{folder.Path}' could not be loaded with provider '{provider}': {e.Message.TrimEnd('.')}.{hint}", e);
        }

        var chatOptions = new OnnxRuntimeGenAIChatClientOptions();
        if (folder.SeparateChatTemplate is { } template)
        {
            chatOptions.PromptFormatter = (messages, _) => ChatTemplateFormatter.Format(tokenizer, template, messages);
        }

        var inner = new OnnxRuntimeGenAIChatClient(model, ownsModel: false, chatOptions);
        var context = options.ContextTokens ?? folder.ContextLength;
        var limits = new ChatModelLimits(context, Math.Min(options.MaxOutputTokens, context / 2));
        var metadata = new ChatClientMetadata("onnxruntime-genai", new Uri(folder.Path), Path.GetFileName(folder.Path));
        return new ConfiguredChatClient(
            inner, metadata, limits, new GenAITokenCounter(tokenizer, context), options.Temperature, tokenizer, model, config);
    }

    private static ConfiguredChatClient CreateEndpoint(ChatModelOptions options)
    {
        var uri = new Uri(options.Endpoint!);
        // Local servers (Ollama, vLLM, llama.cpp) ignore the key, but the client insists on one.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "unused" : options.ApiKey);
        // One retry: enough for a transient failure, while a server that is not running is reported within a second or two.
        var clientOptions = new OpenAIClientOptions { Endpoint = uri, RetryPolicy = new ClientRetryPolicy(maxRetries: 1) };
        clientOptions.AddPolicy(new DropResponseOnCancel(), PipelinePosition.PerCall);
        var inner = new OpenAI.Chat.ChatClient(options.ModelName!, credential, clientOptions).AsIChatClient();
        var context = options.ContextTokens ?? ChatModelOptions.DefaultEndpointContextTokens;
        var limits = new ChatModelLimits(context, Math.Min(options.MaxOutputTokens, context / 2));
        var metadata = new ChatClientMetadata("openai-compatible", uri, options.ModelName);
        return new ConfiguredChatClient(inner, metadata, limits, new ApproximateTokenCounter(context), options.Temperature);
    }
}

using System.ClientModel;
using System.Net;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// Turns the failures a user can cause or fix (endpoint down, wrong key or model name, a local
/// model that fails mid-generation) into <see cref="ChatModelException"/>s that say what to do.
/// </summary>
internal sealed class ChatErrorTranslator(string modelDescription)
{
    public ChatModelException? Translate(Exception error) => error switch
    {
        OperationCanceledException => null,
        ChatModelException => null,
        // The client's retry policy gathers one error per attempt.
        AggregateException { InnerExceptions.Count: > 0 } attempts => Translate(attempts.InnerExceptions[^1]),
        HttpRequestException http when http.StatusCode is null => new ChatModelException(
            $"Cannot reach the chat endpoint {modelDescription} ({http.Message}). Check that the server is running and the URL is right.", http),
        ClientResultException { Status: (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden } denied => new ChatModelException(
            $"The chat endpoint {modelDescription} refused the request (HTTP {denied.Status}): check the API key.", denied),
        ClientResultException { Status: (int)HttpStatusCode.NotFound } notFound => new ChatModelException(
            $"The chat endpoint {modelDescription} answered 404: check the model name and that the URL is the API base (often ending in /v1).", notFound),
        ClientResultException { Status: 0 } unreachable => new ChatModelException(
            $"Cannot reach the chat endpoint {modelDescription} ({unreachable.Message}). Check that the server is running and the URL is right.", unreachable),
        ClientResultException other => new ChatModelException(
            $"The chat endpoint {modelDescription} failed with HTTP {other.Status}: {other.Message}", other),
        OnnxRuntimeGenAIException genAi => new ChatModelException(
            $"The local chat model {modelDescription} failed while generating: {genAi.Message}", genAi),
        _ => null,
    };
}

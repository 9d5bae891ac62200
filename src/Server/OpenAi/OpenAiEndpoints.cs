using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KnowledgeQa.Server.OpenAi;

/// <summary>
/// The OpenAI-compatible endpoints under /v1: chat completions (plain and streamed) and the model
/// list, for OpenAI SDKs and chat front ends (Open WebUI, LibreChat, IDE assistants). They carry
/// the /v1 group's metadata (API key, body limit) and answer errors in OpenAI's shape.
/// </summary>
public static class OpenAiEndpoints
{
    public static void MapOpenAiCompatible(RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", (HttpContext context, ChatCompletionsApi api) => api.HandleAsync(context))
            .WithMetadata(OpenAiErrorShape.Instance)
            .Accepts<object>("application/json")
            .Produces<ChatCompletion>().Produces(200, contentType: "text/event-stream")
            .Produces<OpenAiErrorBody>(400).Produces<OpenAiErrorBody>(404)
            .WithSummary("OpenAI-compatible chat completion answered from the knowledge base ('stream': true streams chat.completion.chunk events)");
        v1.MapGet("/models", () => Results.Json(new ModelList([.. KnowledgeBaseModels.All.Select(Model)]), OpenAiJson.Options))
            .WithMetadata(OpenAiErrorShape.Instance)
            .Produces<ModelList>()
            .WithSummary("The models of the OpenAI-compatible endpoint (knowledge-base, knowledge-base-extractive)");
        v1.MapGet("/models/{id}", (string id) => KnowledgeBaseModels.IsKnown(id)
                ? Results.Json(Model(id), OpenAiJson.Options)
                : Results.Json(OpenAiErrorBody.For(404, $"The model '{id}' does not exist here; GET /v1/models lists this server's models.", "model", "model_not_found"),
                    OpenAiJson.Options, statusCode: 404))
            .WithMetadata(OpenAiErrorShape.Instance)
            .Produces<ModelInfo>().Produces<OpenAiErrorBody>(404)
            .WithSummary("One model of the OpenAI-compatible endpoint");
    }

    private static ModelInfo Model(string id) => new(id, KnowledgeBaseModels.Created, KnowledgeBaseModels.Owner);
}

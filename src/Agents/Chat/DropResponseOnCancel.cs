using System.ClientModel.Primitives;

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// Closes a chat endpoint's streamed response as soon as the call is cancelled. The OpenAI client
/// (2.14) stops enumerating a cancelled stream without disposing the response, so the connection
/// stayed open and the remote model kept generating until the server gave up (measured: minutes,
/// with a server that streams keep-alives). Disposing the response drops the connection, which is
/// what tells the remote side to stop.
/// </summary>
internal sealed class DropResponseOnCancel : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ProcessNext(message, pipeline, currentIndex);
        Watch(message);
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        Watch(message);
    }

    // The registration lives as long as the call's token: per request on a server; for a long-lived
    // token (a CLI session) it keeps one small disposed response per call, which is harmless.
    private static void Watch(PipelineMessage message)
    {
        if (message.Response is { } response && message.CancellationToken.CanBeCanceled)
            message.CancellationToken.Register(static state => ((PipelineResponse)state!).Dispose(), response);
    }
}

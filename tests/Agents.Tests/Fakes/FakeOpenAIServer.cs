using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace KnowledgeQa.Agents.Tests.Fakes;

/// <summary>
/// A local HTTP server that speaks just enough of the OpenAI chat completions API (streamed and
/// not) for the real OpenAI client to talk to it, or answers with a given error status.
/// </summary>
internal sealed class FakeOpenAIServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public FakeOpenAIServer(string[] replyPieces, HttpStatusCode status = HttpStatusCode.OK)
    {
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}/v1";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception) when (!_listener.IsListening)
                {
                    return;
                }

                await HandleAsync(context, replyPieces, status);
            }
        });
    }

    public string BaseUrl { get; }

    public List<JsonNode> Requests { get; } = [];

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task HandleAsync(HttpListenerContext context, string[] pieces, HttpStatusCode status)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = JsonNode.Parse(await reader.ReadToEndAsync())!;
        lock (Requests)
        {
            Requests.Add(body);
        }

        var response = context.Response;
        response.StatusCode = (int)status;
        if (status != HttpStatusCode.OK)
        {
            await Write(response, """{"error": {"message": "scripted failure", "type": "invalid_request_error"}}""", "application/json");
            return;
        }

        var model = body["model"]?.GetValue<string>() ?? "model";
        if (body["stream"]?.GetValue<bool>() == true)
        {
            var sse = new StringBuilder();
            foreach (var piece in pieces)
            {
                var chunk = new JsonObject
                {
                    ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["created"] = 0, ["model"] = model,
                    ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = piece }, ["finish_reason"] = null }),
                };
                sse.Append("data: ").Append(chunk.ToJsonString()).Append("\n\n");
            }

            var last = new JsonObject
            {
                ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["created"] = 0, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = "stop" }),
            };
            sse.Append("data: ").Append(last.ToJsonString()).Append("\n\ndata: [DONE]\n\n");
            await Write(response, sse.ToString(), "text/event-stream");
        }
        else
        {
            var completion = new JsonObject
            {
                ["id"] = "chatcmpl-1", ["object"] = "chat.completion", ["created"] = 0, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = string.Concat(pieces) },
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = pieces.Length, ["total_tokens"] = 10 + pieces.Length },
            };
            await Write(response, completion.ToJsonString(), "application/json");
        }
    }

    private static async Task Write(HttpListenerResponse response, string text, string contentType)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

using Google.Protobuf;
using Grpc.Core;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>
/// A gRPC CallInvoker that records what the store sends and answers from a script written by the
/// test. It checks the store's requests and its reaction to given answers (retries, error
/// messages); it is not a Qdrant server and knows nothing of collections or search.
/// </summary>
internal sealed class RecordingCallInvoker : CallInvoker
{
    private readonly Dictionary<string, Queue<Func<IMessage, IMessage>>> _scripted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<IMessage, IMessage>> _defaults = new(StringComparer.Ordinal);
    private readonly List<RecordedCall> _calls = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_lock)
            {
                return _calls.ToArray();
            }
        }
    }

    public IEnumerable<T> Requests<T>(string method) where T : IMessage =>
        Calls.Where(c => c.Method == method).Select(c => (T)c.Request);

    /// <summary>Answers every call of <paramref name="method"/> (e.g. "/qdrant.Points/Upsert") this way unless a scripted answer is queued.</summary>
    public RecordingCallInvoker Always(string method, Func<IMessage, IMessage> answer)
    {
        _defaults[method] = answer;
        return this;
    }

    public RecordingCallInvoker Always(string method, IMessage response) => Always(method, _ => response);

    /// <summary>Answers the next call of <paramref name="method"/> this way (queued in order).</summary>
    public RecordingCallInvoker Then(string method, Func<IMessage, IMessage> answer)
    {
        if (!_scripted.TryGetValue(method, out var queue))
        {
            _scripted[method] = queue = new Queue<Func<IMessage, IMessage>>();
        }

        queue.Enqueue(answer);
        return this;
    }

    public RecordingCallInvoker Then(string method, IMessage response) => Then(method, _ => response);

    public RecordingCallInvoker ThenFail(string method, StatusCode code, string detail = "") =>
        Then(method, _ => throw new RpcException(new Status(code, detail)));

    public RecordingCallInvoker AlwaysFail(string method, StatusCode code, string detail = "") =>
        Always(method, _ => throw new RpcException(new Status(code, detail)));

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        Func<IMessage, IMessage>? answer;
        lock (_lock)
        {
            // Clone: the store may reuse a request object for a retry.
            var message = (IMessage)request;
            _calls.Add(new RecordedCall(method.FullName, message.Descriptor.Parser.ParseFrom(message.ToByteArray()), options.Headers));
            if (!(_scripted.TryGetValue(method.FullName, out var queue) && queue.TryDequeue(out answer)))
            {
                _defaults.TryGetValue(method.FullName, out answer);
            }
        }

        Task<TResponse> response;
        try
        {
            response = answer is null
                ? throw new RpcException(new Status(StatusCode.Unimplemented, $"The test did not script {method.FullName}."))
                : Task.FromResult((TResponse)answer((IMessage)request));
        }
        catch (RpcException e)
        {
            response = Task.FromException<TResponse>(e);
        }

        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException("The store only makes asynchronous calls.");

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException();

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException();

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException();
}

internal sealed record RecordedCall(string Method, IMessage Request, Metadata? Headers);

/// <summary>Full gRPC method names of the Qdrant calls the store makes.</summary>
internal static class QdrantMethods
{
    public const string HealthCheckCall = "/qdrant.Qdrant/HealthCheck";
    public const string GetCollectionCall = "/qdrant.Collections/Get";
    public const string CreateCollectionCall = "/qdrant.Collections/Create";
    public const string DeleteCollectionCall = "/qdrant.Collections/Delete";
    public const string CreateFieldIndexCall = "/qdrant.Points/CreateFieldIndex";
    public const string UpsertCall = "/qdrant.Points/Upsert";
    public const string DeleteCall = "/qdrant.Points/Delete";
    public const string GetPointsCall = "/qdrant.Points/Get";
    public const string CountCall = "/qdrant.Points/Count";
    public const string ScrollCall = "/qdrant.Points/Scroll";
    public const string QueryCall = "/qdrant.Points/Query";
    public const string QueryBatchCall = "/qdrant.Points/QueryBatch";
    public const string UpdateCollectionCall = "/qdrant.Collections/Update";
    public const string ListCollectionsCall = "/qdrant.Collections/List";
}

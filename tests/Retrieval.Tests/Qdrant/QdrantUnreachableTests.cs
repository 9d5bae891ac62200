using System.Net;
using System.Net.Sockets;
using KnowledgeQa.Retrieval.Storage.Qdrant;

namespace KnowledgeQa.Retrieval.Tests.Qdrant;

/// <summary>The real gRPC channel against a loopback port where nothing listens (no server of any kind).</summary>
public sealed class QdrantUnreachableTests
{
    [Fact]
    public async Task Initialising_against_a_closed_port_fails_with_a_message_naming_the_url_and_how_to_start_qdrant()
    {
        var url = $"http://127.0.0.1:{ClosedLoopbackPort()}";
        await using var store = new QdrantKnowledgeStore(new QdrantStoreOptions { Url = url, ConnectTimeout = TimeSpan.FromSeconds(3) });

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.InitializeAsync(384, "all-MiniLM-L6-v2", TestContext.Current.CancellationToken));

        Assert.StartsWith($"Cannot reach Qdrant at {url}", error.Message);
        Assert.Contains("docker run -p 6333:6333 -p 6334:6334 qdrant/qdrant", error.Message);
        Assert.Contains("--qdrant-url", error.Message);
    }

    [Fact]
    public async Task Reading_from_an_unreachable_server_fails_the_same_way()
    {
        var url = $"http://127.0.0.1:{ClosedLoopbackPort()}";
        await using var store = new QdrantKnowledgeStore(new QdrantStoreOptions { Url = url });

        var error = await Assert.ThrowsAsync<KnowledgeStoreException>(
            () => store.GetStatisticsAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith($"Cannot reach Qdrant at {url}", error.Message);
    }

    /// <summary>A port that was free a moment ago: bound by the OS, then released, so nothing listens on it.</summary>
    private static int ClosedLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

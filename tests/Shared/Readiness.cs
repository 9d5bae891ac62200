using System.Net;

namespace KnowledgeQa.Tests;

/// <summary>Waits for a server's /healthz to say it is ready (it answers 503 while its models load).</summary>
public static class Readiness
{
    public static async Task WaitAsync(HttpClient client, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(limit);
        while (true)
        {
            using var health = await client.GetAsync("/healthz", guard.Token);
            if (health.StatusCode == HttpStatusCode.OK)
                return;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            await Task.Delay(200, guard.Token);
        }
    }
}

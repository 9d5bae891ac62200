using System.Diagnostics;
using System.Text;

namespace KnowledgeQa.Cli.Tests;

/// <summary>`kqa serve --otlp-endpoint`: the real process exports its traces, metrics and logs to a collector.</summary>
public sealed class ServeTelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Both protocols a collector takes: gRPC (port 4317, kqa's default) and HTTP/protobuf (port 4318).</summary>
    [Theory]
    [InlineData("grpc", "application/grpc")]
    [InlineData("http/protobuf", "application/x-protobuf")]
    public async Task Serve_sends_traces_metrics_and_logs_over_otlp(string protocol, string contentType)
    {
        using var folder = new TempFolder();
        using IOtlpCollector collector = protocol == "grpc" ? new OtlpGrpcReceiver() : new OtlpReceiver();
        var port = OtlpReceiver.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "kqa.dll"), "--data", Path.Combine(folder.Path, "kb"),
                     "serve", "--urls", $"http://127.0.0.1:{port}", "--otlp-endpoint", collector.Endpoint, "--otlp-protocol", protocol })
            start.ArgumentList.Add(arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("KQA__", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        // Export every half second, so the test need not wait for the SDK's default intervals (5 s spans and logs, 60 s metrics).
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "500";
        start.Environment["OTEL_BLRP_SCHEDULE_DELAY"] = "500";
        start.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "500";

        using var process = Process.Start(start)!;
        using var stop = new ProcessKiller(process);
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        var address = $"http://127.0.0.1:{port}";
        await WaitUntilServingAsync(address, process);

        using (var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) })
        {
            var upload = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(TestDocuments.WarrantyText)), "file", "warranty.md" } };
            (await client.PostAsync("/v1/documents", upload, Ct)).EnsureSuccessStatusCode();
            (await client.PostAsync("/v1/ask", new StringContent("""{"question": "How many years does the warranty cover?"}""", Encoding.UTF8, "application/json"), Ct))
                .EnsureSuccessStatusCode();
        }

        // Everything arrives while the server runs (a busy machine may take a while to send it).
        await collector.WaitForAsync(() =>
            collector.Bodies("traces").Any(b => b.Contains("POST /v1/ask", StringComparison.Ordinal))
            && collector.Bodies("metrics").Any(b => b.Contains("kqa.answer.duration", StringComparison.Ordinal))
            && collector.Bodies("logs").Any(b => b.Contains("kqa serve listening on", StringComparison.Ordinal)), Ct);

        // SIGTERM, as a service manager stops it: the server stops cleanly with its exporters on.
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync(Ct);
        using (var exit = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            exit.CancelAfter(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(exit.Token);
        }
        Assert.True(process.ExitCode == 0, $"kqa serve exited with {process.ExitCode}: {await stderr}{await stdout}");

        var traces = string.Concat(collector.Bodies("traces"));
        Assert.Contains("POST /v1/ask", traces);
        Assert.Contains("answer", traces);
        Assert.Contains("search.fusion", traces);
        Assert.Contains("ingest.document", traces);
        Assert.Contains("kqa", traces);
        var metrics = string.Concat(collector.Bodies("metrics"));
        Assert.Contains("kqa.answer.duration", metrics);
        Assert.Contains("kqa.ingest.documents", metrics);
        Assert.Contains("http.server.request.duration", metrics);
        Assert.Contains("kqa serve listening on", string.Concat(collector.Bodies("logs")));
        Assert.Equal([contentType], collector.ContentTypes);
        if (collector is OtlpGrpcReceiver grpc)
            Assert.Empty(grpc.Problems);
    }

    /// <summary>Polls /healthz: the server is up once it answers (loading the models may take a while on a busy machine).</summary>
    private static async Task WaitUntilServingAsync(string address, Process process)
    {
        using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; attempt < 600; attempt++)
        {
            Assert.False(process.HasExited, "kqa serve exited before it served");
            try
            {
                if ((await client.GetAsync("/healthz", Ct)).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!Ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, Ct);
        }
        Assert.Fail($"kqa serve did not answer at {address}");
    }

    [Fact]
    public async Task A_malformed_otlp_endpoint_is_one_error_line()
    {
        using var folder = new TempFolder();
        var result = await KqaProcess.RunAsync(folder.Path, "serve", "--otlp-endpoint", "collector:4317");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("kqa: error: --otlp-endpoint 'collector:4317' is not an http(s) URL", result.Stderr);
    }

    /// <summary>Kills the server when a test fails before it stopped it.</summary>
    private sealed class ProcessKiller(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
                process.Kill();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace KnowledgeQa.Load;

/// <summary>
/// The real `kqa serve` (kqa.dll beside this program) on a free loopback port with its own data folder
/// and API key, for the load and memory runs. Disposing kills only this process and deletes the folder.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _folder;

    private ServerProcess(Process process, DirectoryInfo folder, HttpClient http)
    {
        _process = process;
        _folder = folder;
        Http = http;
    }

    /// <summary>A client with the server's address and key.</summary>
    public HttpClient Http { get; }

    public int Id => _process.Id;

    /// <param name="environment">Extra environment variables for the server (DOTNET_GC... settings to compare).</param>
    public static async Task<ServerProcess> StartAsync(int maxConnections = 8, IReadOnlyDictionary<string, string>? environment = null)
    {
        var folder = Directory.CreateTempSubdirectory("kqa-load-");
        var port = FreePort();
        var key = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "kqa.dll"), "--data", Path.Combine(folder.FullName, "kb"), "serve", "--urls", $"http://127.0.0.1:{port}", "--api-key", key })
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line && line.Contains("fail", StringComparison.OrdinalIgnoreCase)) Console.Error.WriteLine("server: " + line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromMinutes(10),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var server = new ServerProcess(process, folder, http);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's resident set in bytes (VmRSS of /proc/PID/status; the working set where there is no /proc).</summary>
    public long ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        _process.Refresh();
        return _process.WorkingSet64;
    }

    // /healthz answers 503 "starting" until the models are loaded (warm-up), then 200.
    private async Task WaitUntilReadyAsync()
    {
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"kqa serve exited with {_process.ExitCode} before it was ready");
            try
            {
                if ((await Http.GetAsync("/healthz")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("kqa serve was not ready (/healthz) within 120 s");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
            _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

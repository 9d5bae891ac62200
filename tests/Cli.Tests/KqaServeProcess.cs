using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KnowledgeQa.Cli.Tests;

/// <summary>
/// A running `kqa serve` (the real program on a free loopback port), found through its start-up log:
/// the address it listens on and the web app's address it prints beside it.
/// </summary>
public sealed partial class KqaServeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private KqaServeProcess(Process process, Uri address, Uri webApp)
    {
        _process = process;
        Address = address;
        WebApp = webApp;
    }

    public Uri Address { get; }

    /// <summary>The "web app at ..." address of the start-up log.</summary>
    public Uri WebApp { get; }

    /// <summary>Starts kqa with <paramref name="args"/> (which should include serve --urls http://127.0.0.1:0) and waits until it listens.</summary>
    public static async Task<KqaServeProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, string[] args, CancellationToken cancellationToken)
    {
        var process = Process.Start(KqaProcess.StartInfo(workingDirectory, environment, args))!;
        try
        {
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            guard.CancelAfter(TimeSpan.FromMinutes(2));
            while (await process.StandardOutput.ReadLineAsync(guard.Token) is { } line)
            {
                if (Listening().Match(line) is not { Success: true } match)
                    continue;
                // Drain the rest of the log so that the process never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return new KqaServeProcess(process, new Uri(match.Groups["address"].Value), new Uri(match.Groups["web"].Value));
            }
            throw new InvalidOperationException("kqa serve ended before it listened");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
    }

    [GeneratedRegex(@"kqa serve listening on (?<address>http://[^,;\s]+); web app at (?<web>http://[^,;\s]+)")]
    private static partial Regex Listening();
}

using System.Diagnostics;

namespace KnowledgeQa.Bench;

/// <summary>Runs this benchmark's own assembly as a fresh child process (a probe command), for figures a warm process cannot give.</summary>
internal static class ProbeProcess
{
    /// <summary>The child's standard output; a failed child stops the benchmark with its errors.</summary>
    public static async Task<string> RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(ProbeProcess).Assembly.Location);
        start.ArgumentList.Add(command);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed: {await errors}");
        return await output;
    }
}

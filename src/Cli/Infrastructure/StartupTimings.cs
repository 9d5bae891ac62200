using System.Diagnostics;
using System.Globalization;

namespace KnowledgeQa.Cli.Infrastructure;

/// <summary>
/// With KQA_STARTUP_TIMINGS=1 in the environment, kqa prints one line to stderr as it exits: wall time since
/// the process started, CPU time (user+system, all threads), JIT time and methods JIT-compiled (ReadyToRun code
/// needs none), and garbage collections. The start-up benchmark reads it; a user can too, to see where a
/// slow command's time goes without a profiler.
/// </summary>
public static class StartupTimings
{
    public const string Variable = "KQA_STARTUP_TIMINGS";

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable(Variable) is "1" or "true";

    public static void Report()
    {
        if (!Enabled)
            return;
        using var self = Process.GetCurrentProcess();
        var wall = DateTime.Now - self.StartTime;
        var culture = CultureInfo.InvariantCulture;
        Console.Error.WriteLine(string.Create(culture,
            $"kqa-timings: wall_ms={wall.TotalMilliseconds:0} cpu_ms={self.TotalProcessorTime.TotalMilliseconds:0} " +
            $"jit_ms={System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} jit_methods={System.Runtime.JitInfo.GetCompiledMethodCount()} " +
            $"gc={GC.CollectionCount(0)}"));
    }
}

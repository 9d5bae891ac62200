using System.Runtime.InteropServices;

namespace KnowledgeQa.Bench;

/// <summary>
/// CPU time of this process's finished child processes, from getrusage(RUSAGE_CHILDREN): user+system of every
/// child that has exited and been waited for (Process.WaitForExitAsync reaps it), so the difference around one
/// child's run is that child's CPU time, whatever else the machine is doing. Its wall time on a loaded machine
/// mostly measures the queue for the cores; its CPU time measures its work. Linux and macOS only.
/// </summary>
internal static class ChildCpu
{
    private const int RusageChildren = -1;

    public static bool Available { get; } = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>User+system seconds of all waited-for children so far; NaN where getrusage is unavailable.</summary>
    public static double Seconds()
    {
        if (!Available)
            return double.NaN;
        // struct rusage on 64-bit Linux and macOS: two struct timevals (seconds, microseconds as longs), then 14 longs.
        var usage = new long[18];
        if (GetResourceUsage(RusageChildren, usage) != 0)
            return double.NaN;
        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetResourceUsage(int who, [Out] long[] usage);
}

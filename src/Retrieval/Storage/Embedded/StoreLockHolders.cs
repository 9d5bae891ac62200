using System.Text;

namespace KnowledgeQa.Retrieval.Storage.Embedded;

/// <summary>
/// Names the other processes that have a store file open, so a "store is locked" error can say
/// which process to wait for. Linux only (it reads /proc); elsewhere, or when /proc cannot be
/// read, it names none. Having the file open is not proof of holding the lock, so the message
/// says "open in".
/// </summary>
internal static class StoreLockHolders
{
    private const int MaxNamed = 3;
    private const int MaxCommandLength = 80;

    public static string? Describe(string storePath)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return null;
        }
        var files = new HashSet<string>(StringComparer.Ordinal) { storePath, storePath + "-wal", storePath + "-shm" };
        var self = Environment.ProcessId;
        var holders = new List<string>();
        try
        {
            foreach (var processFolder in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(processFolder), out var pid) || pid == self)
                {
                    continue;
                }
                if (HasOpen(processFolder, files))
                {
                    holders.Add($"pid {pid}: {CommandLine(processFolder)}");
                    if (holders.Count == MaxNamed)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the error is still reported, only without the process.
        }
        return holders.Count == 0 ? null : "open in " + string.Join("; ", holders);
    }

    private static bool HasOpen(string processFolder, HashSet<string> files)
    {
        try
        {
            foreach (var descriptor in Directory.EnumerateFileSystemEntries(Path.Combine(processFolder, "fd")))
            {
                if (new FileInfo(descriptor).LinkTarget is { } target && files.Contains(target))
                {
                    return true;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    private static string CommandLine(string processFolder)
    {
        try
        {
            var raw = File.ReadAllBytes(Path.Combine(processFolder, "cmdline"));
            var text = Encoding.UTF8.GetString(raw).Replace('\0', ' ').Trim();
            // Another process's arguments are shown to the user: no control characters.
            text = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
            return text.Length <= MaxCommandLength ? text : text[..MaxCommandLength] + "…";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}

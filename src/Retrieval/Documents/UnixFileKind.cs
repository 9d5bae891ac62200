using System.Runtime.InteropServices;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// Tells FIFOs, sockets and devices from regular files on Unix. .NET shows them all as plain
/// files, and opening a FIFO for reading blocks until a writer appears: a folder holding one
/// would hang an ingest. Uses the stat shim the .NET runtime ships (libSystem.Native); where it
/// is missing, every file counts as regular.
/// </summary>
internal static class UnixFileKind
{
    private const int TypeMask = 0xF000;

    /// <summary>Null for a regular file, a directory or an unknown kind; otherwise what the path is.</summary>
    public static string? DescribeSpecialFile(string path)
    {
        if (OperatingSystem.IsWindows())
            return null;
        try
        {
            if (Stat(path, out var status) != 0)
                return null;
            return (status.Mode & TypeMask) switch
            {
                0x1000 => "a FIFO (named pipe)",
                0x2000 => "a character device",
                0x6000 => "a block device",
                0xC000 => "a socket",
                _ => null,
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // DllImport rather than LibraryImport: the generated stub needs unsafe code, this one does not.
#pragma warning disable SYSLIB1054
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Stat(string path, out FileStatus status);
#pragma warning restore SYSLIB1054

    // The runtime's FileStatus starts with Flags then Mode; the trailing fields leave room for
    // any members later runtimes add, so the shim never writes past this struct.
    [StructLayout(LayoutKind.Sequential)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
        public uint Uid;
        public uint Gid;
        public long Size;
        public long ATime, ATimeNsec, MTime, MTimeNsec, CTime, CTimeNsec, BirthTime, BirthTimeNsec;
        public long Dev, RDev, Ino;
        public long Spare0, Spare1, Spare2, Spare3, Spare4, Spare5, Spare6, Spare7;
    }
}

using System.Runtime.InteropServices;

namespace KnowledgeQa.Agents.Chat;

/// <summary>
/// ONNX Runtime GenAI loads the ONNX Runtime native library itself at run time. When that library
/// is missing the process dies with SIGSEGV instead of an exception (measured, notes/FACTS.md), so
/// its presence is checked before any model is loaded.
/// </summary>
public static class OnnxRuntimeNativeLibrary
{
    public static string FileName { get; } =
        OperatingSystem.IsWindows() ? "onnxruntime.dll"
        : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib"
        : "libonnxruntime.so";

    /// <summary>Where the library was found, or null.</summary>
    public static string? Locate()
    {
        foreach (var directory in CandidateDirectories())
        {
            var candidate = Path.Combine(directory, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // Installed system-wide or on the loader's search path (LD_LIBRARY_PATH, ldconfig).
        if (NativeLibrary.TryLoad(FileName, out var handle))
        {
            NativeLibrary.Free(handle);
            return FileName;
        }

        return null;
    }

    /// <exception cref="ChatModelException">The library cannot be found.</exception>
    public static void EnsureAvailable()
    {
        if (Locate() is null)
        {
            throw new ChatModelException(
                $"{FileName} (the ONNX Runtime native library) was not found next to the application ({AppContext.BaseDirectory}) " +
                "or on the library search path; ONNX Runtime GenAI cannot run without it. Reference the Microsoft.ML.OnnxRuntime " +
                "package (Microsoft.ML.OnnxRuntime.Gpu.Linux in the GPU build) from the application, or put the library on the search path.");
        }
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        var baseDirectory = AppContext.BaseDirectory;
        yield return baseDirectory;
        yield return Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        yield return Path.Combine(baseDirectory, "runtimes", PortableRuntimeIdentifier(), "native");
        var genAiAssembly = Path.GetDirectoryName(typeof(Microsoft.ML.OnnxRuntimeGenAI.Model).Assembly.Location);
        if (!string.IsNullOrEmpty(genAiAssembly))
        {
            yield return genAiAssembly;
        }
    }

    private static string PortableRuntimeIdentifier()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return $"{os}-{arch}";
    }
}

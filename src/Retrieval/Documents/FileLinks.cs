namespace KnowledgeQa.Retrieval.Documents;

/// <summary>Symbolic links that lead nowhere (File.Exists is true for them on Unix).</summary>
internal static class FileLinks
{
    /// <summary>The link's target when <paramref name="path"/> is a link whose final target is missing; else null.</summary>
    public static string? BrokenLinkTarget(string path)
    {
        var info = new FileInfo(path);
        var target = info.LinkTarget;
        if (target is null)
            return null;
        try
        {
            return info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true } ? null : target;
        }
        catch (IOException)
        {
            return target; // too many levels of links, or a link in the chain is unreadable
        }
    }
}

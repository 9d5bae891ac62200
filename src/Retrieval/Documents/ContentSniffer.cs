using System.Text;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>What the first bytes of a file say it is, whatever its name claims.</summary>
internal enum SniffedFormat
{
    Empty,
    Text,
    Html,
    Pdf,
    Docx,
    /// <summary>A zip archive that does not look like a Word document.</summary>
    OtherZip,
    Binary,
}

/// <summary>Content sniffing on the first bytes of a file (magic numbers, BOMs, control bytes).</summary>
internal static class ContentSniffer
{
    public const int HeadLength = 4096;

    private static ReadOnlySpan<byte> PdfMagic => "%PDF-"u8;
    private static ReadOnlySpan<byte> ZipMagic => [0x50, 0x4B, 0x03, 0x04];

    public static SniffedFormat Sniff(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
            return SniffedFormat.Empty;
        // The PDF spec lets a file carry junk before the header; readers look in the first 1 KB.
        if (head[..Math.Min(head.Length, 1024)].IndexOf(PdfMagic) >= 0)
            return SniffedFormat.Pdf;
        if (head.StartsWith(ZipMagic))
            return head.IndexOf("word/"u8) >= 0 ? SniffedFormat.Docx : SniffedFormat.OtherZip;
        if (LooksBinary(head))
            return SniffedFormat.Binary;
        return LooksLikeHtml(head) ? SniffedFormat.Html : SniffedFormat.Text;
    }

    public static bool HasExtension(string fileName, params ReadOnlySpan<string> extensions)
    {
        var extension = Path.GetExtension(fileName);
        foreach (var candidate in extensions)
        {
            if (extension.Equals(candidate, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Text has no NUL bytes (unless it is UTF-16/32) and few control characters; a zip, an image
    /// or an executable has plenty of both in its first kilobytes.
    /// </summary>
    public static bool LooksBinary(ReadOnlySpan<byte> head)
    {
        if (TextDecoder.DetectBom(head) is { } bom && bom.Encoding is not UTF8Encoding)
            return false;
        if (TextDecoder.LooksLikeUtf16WithoutBom(head) is not null)
            return false;
        int control = 0;
        foreach (var b in head)
        {
            if (b == 0)
                return true;
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C or 0x1B))
                control++;
        }
        return control > head.Length / 10;
    }

    private static bool LooksLikeHtml(ReadOnlySpan<byte> head)
    {
        var bom = TextDecoder.DetectBom(head);
        if (bom is not null && bom.Encoding is not UTF8Encoding)
            return false; // UTF-16 pages are rare; their extension still routes them to the HTML reader
        var start = head[(bom?.Length ?? 0)..];
        while (!start.IsEmpty && start[0] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            start = start[1..];
        var prefix = Encoding.ASCII.GetString(start[..Math.Min(start.Length, 512)]).ToLowerInvariant();
        if (prefix.StartsWith("<?xml", StringComparison.Ordinal))
            return prefix.Contains("<html", StringComparison.Ordinal);
        return prefix.StartsWith("<!doctype html", StringComparison.Ordinal)
            || prefix.StartsWith("<html", StringComparison.Ordinal)
            || prefix.StartsWith("<head", StringComparison.Ordinal)
            || prefix.StartsWith("<body", StringComparison.Ordinal)
            || (prefix.StartsWith("<!--", StringComparison.Ordinal) && prefix.Contains("<html", StringComparison.Ordinal));
    }
}

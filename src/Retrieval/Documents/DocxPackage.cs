using System.IO.Compression;
using System.Xml;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// The parts of a .docx that hold text, found through the package relationships, opened as streaming
/// XML readers. The zip is checked against <see cref="ReaderOptions.MaxDecompressedBytes"/> before
/// anything is inflated; nothing is loaded whole.
/// </summary>
internal sealed class DocxPackage : IDisposable
{
    /// <summary>A real document has dozens of parts; hundreds of thousands is an attack on the reader.</summary>
    private const int MaxZipEntries = 10_000;

    private const string RelationshipsNamespace = "http://schemas.openxmlformats.org/package/2006/relationships";

    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries;
    private readonly ReaderOptions _options;
    private readonly string _source;

    private DocxPackage(ZipArchive zip, Dictionary<string, ZipArchiveEntry> entries, ReaderOptions options, string source)
    {
        _zip = zip;
        _entries = entries;
        _options = options;
        _source = source;
    }

    /// <summary>Path of the main document part (normally word/document.xml).</summary>
    public string MainPart { get; private set; } = "";

    /// <summary>Parts the main document relates to, by relationship kind ("styles", "footnotes", "endnotes", "comments").</summary>
    public IReadOnlyDictionary<string, string> RelatedParts { get; private set; } = new Dictionary<string, string>();

    /// <summary>Path of the core properties part (title), if any.</summary>
    public string? CorePropertiesPart { get; private set; }

    /// <param name="content">A seekable stream positioned at the zip's start; it stays open.</param>
    public static DocxPackage Open(Stream content, ReaderOptions options, string source)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(content, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new DocumentReadException(source, $"truncated or corrupt .docx (not a complete zip archive: {e.Message})", e);
        }
        try
        {
            var entries = CheckEntries(zip, options, source);
            var package = new DocxPackage(zip, entries, options, source);
            package.FindParts();
            return package;
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    public void Dispose() => _zip.Dispose();

    /// <summary>
    /// Refuses archives that would unpack past the limit, judged by the sizes the zip declares.
    /// .NET's zip reader will not inflate an entry past its declared size, so the declared sizes
    /// bound what can be unpacked.
    /// </summary>
    private static Dictionary<string, ZipArchiveEntry> CheckEntries(ZipArchive zip, ReaderOptions options, string source)
    {
        IReadOnlyCollection<ZipArchiveEntry> all;
        try
        {
            all = zip.Entries;
        }
        catch (InvalidDataException e)
        {
            throw new DocumentReadException(source, $"truncated or corrupt .docx (not a complete zip archive: {e.Message})", e);
        }
        if (all.Count > MaxZipEntries)
            throw new DocumentReadException(source, $"zip bomb? the .docx holds {all.Count} parts (more than {MaxZipEntries})");
        long total = 0;
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in all)
        {
            total += entry.Length;
            if (total > options.MaxDecompressedBytes)
            {
                throw new DocumentReadException(source,
                    $"zip bomb? the .docx unpacks to more than {options.MaxDecompressedBytes / (1024 * 1024.0):0.#} MB " +
                    "(ReaderOptions.MaxDecompressedBytes): refused before unpacking");
            }
            entries.TryAdd(entry.FullName.TrimStart('/'), entry);
        }
        return entries;
    }

    private void FindParts()
    {
        var packageRelationships = ReadRelationships("_rels/.rels", baseFolder: "");
        if (packageRelationships is null)
            throw new DocumentReadException(_source, "not a Word document: the zip has no package relationships (_rels/.rels)");
        MainPart = packageRelationships.GetValueOrDefault("officeDocument")
            ?? throw new DocumentReadException(_source, "not a Word document: its package relationships name no main document");
        if (!_entries.ContainsKey(MainPart))
            throw new DocumentReadException(_source, $"not a Word document: the zip has no {MainPart}");
        CorePropertiesPart = packageRelationships.GetValueOrDefault("core-properties");

        var folder = MainPart.Contains('/') ? MainPart[..(MainPart.LastIndexOf('/') + 1)] : "";
        var partRelationships = folder + "_rels/" + MainPart[folder.Length..] + ".rels";
        RelatedParts = ReadRelationships(partRelationships, folder) ?? new Dictionary<string, string>();
    }

    /// <summary>Relationship kind (the last segment of its type) to part path, first of each kind; null if the part is missing.</summary>
    private Dictionary<string, string>? ReadRelationships(string part, string baseFolder)
    {
        if (!_entries.ContainsKey(part))
            return null;
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using var reader = OpenPart(part);
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "Relationship" || reader.NamespaceURI != RelationshipsNamespace)
                continue;
            var type = reader.GetAttribute("Type");
            var target = reader.GetAttribute("Target");
            if (type is null || target is null || string.Equals(reader.GetAttribute("TargetMode"), "External", StringComparison.OrdinalIgnoreCase))
                continue;
            result.TryAdd(type[(type.LastIndexOf('/') + 1)..], Resolve(baseFolder, target));
        }
        return result;
    }

    private static string Resolve(string baseFolder, string target)
    {
        var path = target.StartsWith('/') ? target[1..] : baseFolder + target;
        var segments = new List<string>();
        foreach (var segment in Uri.UnescapeDataString(path).Split('/'))
        {
            if (segment == "..")
            {
                if (segments.Count > 0)
                    segments.RemoveAt(segments.Count - 1);
            }
            else if (segment is not ("." or ""))
            {
                segments.Add(segment);
            }
        }
        return string.Join('/', segments);
    }

    public bool HasPart(string? part) => part is not null && _entries.ContainsKey(part);

    /// <summary>A streaming reader over a part: no DTDs (no entity expansion), no more characters than the unpack limit.</summary>
    public XmlReader OpenPart(string part)
    {
        var entry = _entries[part];
        Stream stream;
        try
        {
            stream = entry.Open();
        }
        catch (InvalidDataException e)
        {
            throw new DocumentReadException(_source, $"damaged .docx: {part} cannot be unpacked ({e.Message})", e);
        }
        return XmlReader.Create(stream, new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            MaxCharactersInDocument = _options.MaxDecompressedBytes,
            CloseInput = true,
        });
    }
}

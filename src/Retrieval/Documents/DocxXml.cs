using System.Globalization;
using System.Xml;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>WordprocessingML names in both the transitional and the strict (ISO 29500) namespaces.</summary>
internal static class DocxXml
{
    private const string Word = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    private const string StrictWord = "http://purl.oclc.org/ooxml/wordprocessingml/main";
    private const string Math = "http://schemas.openxmlformats.org/officeDocument/2006/math";
    private const string StrictMath = "http://purl.oclc.org/ooxml/officeDocument/math";
    public const string MarkupCompatibility = "http://schemas.openxmlformats.org/markup-compatibility/2006";

    public static bool IsWord(XmlReader reader) => reader.NamespaceURI is Word or StrictWord;

    public static bool IsMath(XmlReader reader) => reader.NamespaceURI is Math or StrictMath;

    /// <summary>A w: attribute of the current element (w:val, w:id ...), in whichever namespace the element uses.</summary>
    public static string? Attribute(XmlReader reader, string localName) =>
        reader.GetAttribute(localName, reader.NamespaceURI) ?? reader.GetAttribute(localName, Word) ?? reader.GetAttribute(localName);

    public static int? IntAttribute(XmlReader reader, string localName) =>
        int.TryParse(Attribute(reader, localName), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>On/off properties (w:vanish, w:b ...) are on unless w:val says false, 0 or off.</summary>
    public static bool IsOn(XmlReader reader) => Attribute(reader, "val") is not ("false" or "0" or "off");
}

/// <summary>
/// The bounds every .docx part is read within: nesting depth (<see cref="ReaderOptions.MaxDocxDepth"/>),
/// text produced (<see cref="ReaderOptions.MaxTextCharacters"/>), and cancellation, checked as the
/// parts stream by so that no hostile file gets to build anything deep or large.
/// </summary>
internal sealed class DocxLimits(ReaderOptions options, string source, CancellationToken cancellationToken)
{
    private long _characters;
    private int _nodes;

    public CancellationToken CancellationToken => cancellationToken;

    /// <summary>Called for every node read.</summary>
    public void Check(XmlReader reader)
    {
        if (++_nodes % 4096 == 0)
            cancellationToken.ThrowIfCancellationRequested();
        if (reader.Depth > options.MaxDocxDepth)
        {
            throw new DocumentReadException(source,
                $"Word XML nested deeper than {options.MaxDocxDepth} levels (ReaderOptions.MaxDocxDepth), such as tables " +
                "or content controls inside one another: not a document a person writes; flatten it or raise the limit");
        }
    }

    /// <summary>Counts text as it is read, before it is kept.</summary>
    public void Take(int characters)
    {
        _characters += characters;
        if (_characters > options.MaxTextCharacters)
            throw new TextLimitExceededException(options.MaxTextCharacters);
    }
}

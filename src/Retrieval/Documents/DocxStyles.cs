using System.Xml;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// What a paragraph's style makes it: a heading (Title, Heading 1-9, or an outline level, also
/// through "based on" chains), a list item, or body text. Read from the styles part in one pass.
/// </summary>
internal sealed class DocxStyles
{
    private sealed record Style(string? Name, string? BasedOn, int? OutlineLevel, bool Numbered);

    private readonly Dictionary<string, Style> _byId = new(StringComparer.OrdinalIgnoreCase);

    public static DocxStyles Empty { get; } = new();

    /// <summary>Reads the paragraph styles of a styles part (a reader positioned before its root).</summary>
    public static DocxStyles Read(XmlReader reader, DocxLimits limits)
    {
        var styles = new DocxStyles();
        string? id = null, name = null, basedOn = null;
        int? outline = null;
        var numbered = false;
        var styleDepth = -1;
        while (reader.Read())
        {
            limits.Check(reader);
            if (reader.NodeType == XmlNodeType.EndElement)
            {
                if (reader.Depth == styleDepth && id is not null)
                    styles._byId.TryAdd(id, new Style(name, basedOn, outline, numbered));
                if (reader.Depth == styleDepth)
                    styleDepth = -1;
                continue;
            }
            if (reader.NodeType != XmlNodeType.Element || !DocxXml.IsWord(reader))
                continue;
            switch (reader.LocalName)
            {
                case "style":
                    id = DocxXml.Attribute(reader, "styleId");
                    (name, basedOn, outline, numbered) = (null, null, null, false);
                    styleDepth = reader.Depth;
                    if (reader.IsEmptyElement)
                    {
                        if (id is not null)
                            styles._byId.TryAdd(id, new Style(null, null, null, false));
                        styleDepth = -1;
                    }
                    break;
                case "name" when styleDepth >= 0 && reader.Depth == styleDepth + 1:
                    name = DocxXml.Attribute(reader, "val");
                    break;
                case "basedOn" when styleDepth >= 0:
                    basedOn = DocxXml.Attribute(reader, "val");
                    break;
                case "outlineLvl" when styleDepth >= 0:
                    outline = DocxXml.IntAttribute(reader, "val");
                    break;
                case "numPr" when styleDepth >= 0:
                    numbered = true;
                    break;
            }
        }
        return styles;
    }

    public (int HeadingLevel, bool IsTitle, bool IsList) Classify(string? styleId, int? outlineLevel, bool numbered)
    {
        if (outlineLevel is int outline and >= 0 and < 9)
            return (outline + 1, false, false);

        // Walk the based-on chain; the hop limit survives a cycle in a damaged file.
        var isList = numbered;
        for (int hops = 0; styleId is not null && hops < 16; hops++)
        {
            var style = _byId.GetValueOrDefault(styleId);
            var name = style?.Name ?? styleId;
            if (IsTitleName(styleId) || IsTitleName(name))
                return (1, true, false);
            if ((HeadingNumber(styleId) ?? HeadingNumber(name)) is int level)
                return (level, false, false);
            if (style?.OutlineLevel is int styleOutline and >= 0 and < 9)
                return (styleOutline + 1, false, false);
            isList |= name.StartsWith("List", StringComparison.OrdinalIgnoreCase) || style?.Numbered == true;
            styleId = style?.BasedOn;
        }
        return (0, false, isList);
    }

    private static bool IsTitleName(string name) => name.Equals("Title", StringComparison.OrdinalIgnoreCase);

    /// <summary>"Heading1", "heading 1" and localized ids ending in the digit after "heading".</summary>
    private static int? HeadingNumber(string name)
    {
        var compact = name.Replace(" ", "", StringComparison.Ordinal);
        if (compact.Length == 8 && compact.StartsWith("heading", StringComparison.OrdinalIgnoreCase) && compact[7] is >= '1' and <= '9')
            return compact[7] - '0';
        return null;
    }
}

using DocumentFormat.OpenXml.Wordprocessing;

namespace KnowledgeQa.Retrieval.Documents;

/// <summary>
/// What a paragraph's style makes it: a heading (Title, Heading 1-9, or an outline level, also
/// through "based on" chains), a list item, or body text.
/// </summary>
internal sealed class DocxStyles
{
    private readonly Dictionary<string, Style> _byId = new(StringComparer.OrdinalIgnoreCase);

    public DocxStyles(Styles? styles)
    {
        foreach (var style in styles?.Elements<Style>() ?? [])
        {
            if (style.StyleId?.Value is { } id)
                _byId.TryAdd(id, style);
        }
    }

    public (int HeadingLevel, bool IsTitle, bool IsList) Classify(Paragraph paragraph)
    {
        var properties = paragraph.ParagraphProperties;
        var styleId = properties?.ParagraphStyleId?.Val?.Value;
        if (properties?.OutlineLevel?.Val?.Value is int outline && outline < 9)
            return (outline + 1, false, false);

        // Walk the based-on chain; the hop limit survives a cycle in a damaged file.
        bool isList = properties?.NumberingProperties is not null;
        for (int hops = 0; styleId is not null && hops < 16; hops++)
        {
            var name = _byId.TryGetValue(styleId, out var style) ? style.StyleName?.Val?.Value ?? styleId : styleId;
            if (IsTitleName(styleId) || IsTitleName(name))
                return (1, true, false);
            if ((HeadingNumber(styleId) ?? HeadingNumber(name)) is int level)
                return (level, false, false);
            if (style?.StyleParagraphProperties?.OutlineLevel?.Val?.Value is int styleOutline && styleOutline < 9)
                return (styleOutline + 1, false, false);
            isList |= name.StartsWith("List", StringComparison.OrdinalIgnoreCase) || style?.StyleParagraphProperties?.NumberingProperties is not null;
            styleId = style?.BasedOn?.Val?.Value;
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
